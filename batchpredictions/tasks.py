from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from core.jobs import RESUMABLE_TASK

from .services.chunks import batch_prediction_chunk_run
from .services.retention import batch_predictions_expire as expire


@shared_task(**RESUMABLE_TASK)
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
