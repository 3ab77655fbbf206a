"""Submitting background jobs (Celery tasks): a queue that cannot be reached is a clear 503.

Without REDIS_URL tasks run eagerly in-process, so submission always succeeds.
"""

import kombu.exceptions
import redis.exceptions
from django.db import OperationalError

from core.exceptions import ServiceUnavailable

# Try the broker briefly, then answer: a request must not hang while Redis is down.
BROKER_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
QUEUE_DOWN = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, ConnectionError)

# The Celery options of a task whose work is resumable and written exactly once (replays, portfolio
# and batch-prediction chunks): acknowledged after it runs, requeued when its worker dies, retried
# with backoff while the database is away. A task stopped by the soft time limit retries itself.
RESUMABLE_TASK = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "max_retries": 5,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "retry_backoff_max": 60,
}


def job_submit(task, *args, **kwargs) -> str:
    """Queue `task(*args, **kwargs)` and return the job's id; ServiceUnavailable when the queue is down.

    Jobs report through the database (audit log, job rows), never through Celery's result store:
    a web process that subscribed to the result store would stay broken after a Redis outage
    (Celery then asks for the application to be restarted), so results are not kept.
    """
    try:
        result = task.apply_async(
            args=args, kwargs=kwargs, ignore_result=True, retry=True, retry_policy=BROKER_RETRY_POLICY
        )
    except QUEUE_DOWN as error:
        raise ServiceUnavailable(
            f"The job queue cannot be reached ({type(error).__name__}); try again shortly."
        ) from None
    return result.id
