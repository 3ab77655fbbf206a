from celery import shared_task

from .training.runs import training_job_run


@shared_task(acks_late=True, reject_on_worker_lost=True)
def train_model(job_id):
    """Train a confirmed training job and register its model; a redelivery of an ended job does nothing."""
    return training_job_run(job_id=job_id).status
