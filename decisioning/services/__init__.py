"""Business verbs of decisioning: single evaluations (insights) and decisions."""

from .backtests import backtest_create, backtest_run
from .decisions import (
    challenger_assigned,
    decision_create,
    decision_flow_create,
    decision_replay,
    insight_replay,
    reason_code_upsert,
    request_fingerprint,
)
from .flow_versions import (
    flow_challenger_set,
    flow_create,
    flow_version_approve,
    flow_version_check,
    flow_version_create_draft,
    flow_version_problems,
    flow_version_publish,
    flow_version_reject,
    flow_version_retire,
    flow_version_steps_replace,
    flow_version_submit,
    flow_version_update_draft,
    partner_decision_settings_update,
)
from .insights import insight_create, insight_record
from .replays import replay_job_run, replay_job_summary
from .what_if import what_if_flow, what_if_flow_fields, what_if_model, what_if_model_fields

__all__ = [
    "challenger_assigned",
    "decision_create",
    "decision_flow_create",
    "decision_replay",
    "insight_create",
    "insight_record",
    "insight_replay",
    "reason_code_upsert",
    "request_fingerprint",
    "flow_challenger_set",
    "flow_create",
    "flow_version_approve",
    "flow_version_check",
    "flow_version_create_draft",
    "flow_version_problems",
    "flow_version_publish",
    "flow_version_reject",
    "flow_version_retire",
    "flow_version_steps_replace",
    "flow_version_submit",
    "flow_version_update_draft",
    "partner_decision_settings_update",
    "backtest_create",
    "backtest_run",
    "replay_job_run",
    "replay_job_summary",
    "what_if_flow",
    "what_if_flow_fields",
    "what_if_model",
    "what_if_model_fields",
]
