from celery import shared_task

from .services import ruleset_version_live_states_refresh


@shared_task(acks_late=True)
def ruleset_live_states_refresh():
    """For display only: mark published versions scheduled, live or superseded. Decisions never
    read these states (effective_from decides), so running late, twice or not at all is harmless."""
    return {"changed": ruleset_version_live_states_refresh()}
