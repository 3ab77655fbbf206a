"""Business verbs of decisioning: single evaluations (insights) and decisions."""
from .decisions import (
    decision_create,
    decision_flow_create,
    decision_replay,
    insight_replay,
    reason_code_upsert,
    request_fingerprint,
)
from .insights import insight_create, insight_record
from .replays import replay_job_run, replay_job_summary

__all__ = [
    "decision_create", "decision_flow_create", "decision_replay", "insight_create", "insight_record",
    "insight_replay", "reason_code_upsert", "replay_job_run", "replay_job_summary", "request_fingerprint",
]
