"""Replay jobs: re-run many decisions on their recorded versions, in the background.

Kept out of the services package's __init__: it imports the task, and the task imports services.
"""

from django.db import transaction

from core.exceptions import ArgumentError, ArgumentErrors, NotFound
from core.ids import parse_uuid
from core.jobs import job_submit
from core.services import audit_event_record

from .. import selectors
from ..tasks import replay_decisions

REPLAY_JOB_MAX_DECISIONS = 1000


@transaction.atomic
def replay_job_submit(*, partner, user, decision_ids) -> dict:
    """Queue a replay of `decision_ids` (each one the user may read); each replay is on the audit log.

    The submission is recorded in the same transaction: when the queue is down nothing is recorded.
    """
    if not decision_ids:
        raise ArgumentError("decisionIds", "Name at least one decision.")
    if len(decision_ids) > REPLAY_JOB_MAX_DECISIONS:
        raise ArgumentError("decisionIds", f"At most {REPLAY_JOB_MAX_DECISIONS} decisions per job.")
    parsed = [parse_uuid(value) for value in decision_ids]
    problems = [
        ArgumentError(("decisionIds", str(position)), f"{value!r} is not a valid UUID.")
        for position, (value, pk) in enumerate(zip(decision_ids, parsed))
        if pk is None
    ]
    if problems:
        raise ArgumentErrors(problems)
    decision_ids = list(dict.fromkeys(parsed))
    readable = set(
        selectors.decision_list(partner=partner, user=user).filter(pk__in=decision_ids).values_list("pk", flat=True)
    )
    unknown = [pk for pk in decision_ids if pk not in readable]
    if unknown:
        # Another partner's decisions and those the user may not read are unknown: 404, as everywhere.
        raise NotFound(f"No decision {unknown[0]}.")
    ids = [str(pk) for pk in decision_ids]
    audit_event_record(
        actor=user, action="decision.replay_job", obj=partner, partner=partner, data={"decisions": len(ids)}
    )
    job_id = job_submit(replay_decisions, ids)
    return {"id": job_id, "decision_ids": ids}
