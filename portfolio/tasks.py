from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError

from core.jobs import RESUMABLE_TASK

from .services.chunks import reevaluation_chunk_run


@shared_task(**RESUMABLE_TASK)
def reevaluate_chunk(self, chunk_id):
    """Re-evaluate one chunk of loans; a redelivery or retry writes nothing twice (the chunk's lock)."""
    try:
        return reevaluation_chunk_run(chunk_id=chunk_id)
    except SoftTimeLimitExceeded:
        raise self.retry(countdown=0) from None


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=3, autoretry_for=(OperationalError,))
def reevaluate_portfolio_scheduled(self, partner_id):
    """The periodic (Celery beat) re-evaluation of one partner's whole book with its default flow."""
    from partners.models import Partner

    from .services.jobs import reevaluation_job_submit

    partner = Partner.objects.get(pk=partner_id)
    return str(reevaluation_job_submit(partner=partner, user=None).pk)
