from celery import shared_task

from .services import audit_chain_seal_all


@shared_task(name="core.tasks.audit_chain_seal", acks_late=True, max_retries=0)
def audit_chain_seal():
    """Periodic (CELERY_BEAT_SCHEDULE): seal every partner's pending records into new blocks.

    Safe to run twice or concurrently: each block's transaction locks its chain's head and
    removes the pending entries it sealed.
    """
    return audit_chain_seal_all()
