from celery import shared_task

from .training.runs import training_job_run, training_jobs_unconfirmed_expire


@shared_task(acks_late=True, reject_on_worker_lost=True)
def train_model(job_id):
    """Train a confirmed training job and register its model; a redelivery of an ended job does nothing."""
    return training_job_run(job_id=job_id).status


@shared_task(name="modelregistry.tasks.training_jobs_expire", acks_late=True, max_retries=0)
def training_jobs_expire():
    """Periodic (CELERY_BEAT_SCHEDULE): delete the files of training jobs nobody confirmed."""
    return training_jobs_unconfirmed_expire()
