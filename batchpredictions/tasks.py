from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from .services.chunks import batch_prediction_chunk_run
from .services.retention import batch_predictions_expire as expire

MAX_CHUNK_RETRIES = 5


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_CHUNK_RETRIES,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    retry_backoff_max=60,
)
def batch_prediction_chunk(self, chunk_id):
    """Score one chunk of uploaded rows; a redelivery or retry writes nothing twice (the chunk's lock)."""
    try:
        return batch_prediction_chunk_run(chunk_id=chunk_id)
    except SoftTimeLimitExceeded:
        raise self.retry(countdown=0) from None


@shared_task(name="batchpredictions.tasks.batch_predictions_expire", acks_late=True, max_retries=0)
def batch_predictions_expire():
    """Periodic (CELERY_BEAT_SCHEDULE): delete inputs and results whose download window has passed."""
    return expire()
