"""The roles people and systems have at a lending partner (Django groups of these names)."""

RULE_EDITOR = "rule_editor"
RULE_APPROVER = "rule_approver"
UNDERWRITER = "underwriter"
DATA_SCIENTIST = "data_scientist"
AUDITOR = "auditor"
PARTNER_ADMIN = "partner_admin"
# Post-loan monitoring: runs portfolio re-evaluations and reads their results.
RISK_MANAGER = "risk_manager"
# The partner's own loan-origination systems calling the REST API.
PARTNER_SYSTEM = "partner_system"

ALL = (RULE_EDITOR, RULE_APPROVER, UNDERWRITER, DATA_SCIENTIST, AUDITOR, PARTNER_ADMIN, PARTNER_SYSTEM, RISK_MANAGER)

DESCRIPTIONS = {
    RULE_EDITOR: "Edits decision tables (knock-outs, limits, review triggers, pricing).",
    RULE_APPROVER: "Approves rule changes before they take effect.",
    UNDERWRITER: "Works referred applications in the manual-review queue.",
    DATA_SCIENTIST: "Registers models and maps their fields onto the data dictionary.",
    AUDITOR: "Reads every evaluation, decrypted, and replays it.",
    PARTNER_ADMIN: "Manages the partner's people, tokens and settings.",
    RISK_MANAGER: "Re-evaluates the loan portfolio and reads migration, early warnings and drift.",
    PARTNER_SYSTEM: "A loan-origination system that calls the REST API with a token.",
}
