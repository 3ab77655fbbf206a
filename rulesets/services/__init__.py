"""Business verbs of rulesets (writes: keyword-only, one transaction each, with the audit trail).

- versions: ruleset_create, ruleset_version_create_draft / _update_draft / _submit / _approve /
  _approve_and_publish / _reject / _publish / _retire / _discard, ruleset_version_live_states_refresh
- cases: ruleset_test_case_create / _update / _delete, ruleset_test_cases_import_csv,
  ruleset_version_test_run (writes nothing)
- uploads: artifact_upload (PMML registered; DMN XML or a workbook becomes a draft)
"""

from .access import AUTHOR_ROLES, PUBLISHER_ROLES
from .cases import (
    MAX_CSV_CHARS,
    MAX_CSV_ROWS,
    TestCaseResult,
    TestRun,
    ruleset_test_case_create,
    ruleset_test_case_delete,
    ruleset_test_case_update,
    ruleset_test_cases_import_csv,
    ruleset_version_test_run,
)
from .uploads import artifact_upload
from .versions import (
    MAX_DMN_XML_CHARS,
    ruleset_create,
    ruleset_version_approve,
    ruleset_version_approve_and_publish,
    ruleset_version_create_draft,
    ruleset_version_discard,
    ruleset_version_live_states_refresh,
    ruleset_version_publish,
    ruleset_version_reject,
    ruleset_version_retire,
    ruleset_version_submit,
    ruleset_version_update_draft,
)

__all__ = [
    "AUTHOR_ROLES",
    "MAX_CSV_CHARS",
    "MAX_CSV_ROWS",
    "MAX_DMN_XML_CHARS",
    "PUBLISHER_ROLES",
    "TestCaseResult",
    "TestRun",
    "artifact_upload",
    "ruleset_create",
    "ruleset_test_case_create",
    "ruleset_test_case_delete",
    "ruleset_test_case_update",
    "ruleset_test_cases_import_csv",
    "ruleset_version_approve",
    "ruleset_version_approve_and_publish",
    "ruleset_version_create_draft",
    "ruleset_version_discard",
    "ruleset_version_live_states_refresh",
    "ruleset_version_publish",
    "ruleset_version_reject",
    "ruleset_version_retire",
    "ruleset_version_submit",
    "ruleset_version_test_run",
    "ruleset_version_update_draft",
]
