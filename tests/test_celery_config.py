import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from config.celery import app
from decisioning.tasks import replay_decisions

ROOT = Path(__file__).resolve().parent.parent


def test_a_worker_that_dies_leaves_its_task_to_be_delivered_again_after_it_could_have_finished():
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost and conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit < conf.task_time_limit
    # Longer than the longest a worker holds a message: the hard limit plus the replay's longest retry countdown.
    assert (
        conf.broker_transport_options["visibility_timeout"] > conf.task_time_limit + replay_decisions.retry_backoff_max
    )
    assert replay_decisions.acks_late and replay_decisions.reject_on_worker_lost
    assert replay_decisions.max_retries == 5


def test_a_visibility_timeout_not_longer_than_the_task_time_limit_stops_start_up():
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "SECRET_KEY": "x" * 50,
            "FERNET_KEYS": Fernet.generate_key().decode(),
            "DJANGO_READ_DOT_ENV": "0",
            "CELERY_TASK_TIME_LIMIT": "600",
            "CELERY_VISIBILITY_TIMEOUT": "600",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT (600 s) must be longer than CELERY_TASK_TIME_LIMIT (600 s)" in result.stderr
