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

# The roles whose work is done in the admin: their people get `is_staff` (admin access, nothing
# more: every admin page is scoped to their partner). The underwriter works in /review/ and the
# partner system calls the API; neither gets the admin.
ADMIN_ROLES = frozenset({RULE_EDITOR, RULE_APPROVER, DATA_SCIENTIST, AUDITOR, PARTNER_ADMIN})

_VIEW_REGISTRY = (
    "modelregistry.view_predictivemodel",
    "modelregistry.view_predictivemodelfield",
    "modelregistry.view_datadictionaryfield",
)
_AUTHOR_MODELS = (
    "modelregistry.add_predictivemodel",
    "modelregistry.change_predictivemodel",
    "modelregistry.change_predictivemodelfield",
)

# The Django permissions each role's group carries: the one source for the data migration and for
# the post_migrate sync (which also picks up permissions of models added later, e.g. rulesets).
# The shared data dictionary: data scientists and partner admins add entries (CSV import or the
# add form); existing entries are changed by platform staff only, since a change affects every partner.
_ADD_DICTIONARY = ("modelregistry.add_datadictionaryfield",)
PERMISSIONS = {
    RULE_EDITOR: _VIEW_REGISTRY
    + _AUTHOR_MODELS
    + (
        "rulesets.view_ruleset",
        "rulesets.add_ruleset",
        "rulesets.change_ruleset",
        "rulesets.view_rulesetversion",
        "rulesets.add_rulesetversion",
        "rulesets.change_rulesetversion",
    ),
    RULE_APPROVER: _VIEW_REGISTRY
    + ("rulesets.view_ruleset", "rulesets.view_rulesetversion", "rulesets.change_rulesetversion"),
    DATA_SCIENTIST: _VIEW_REGISTRY + _AUTHOR_MODELS + _ADD_DICTIONARY,
    AUDITOR: _VIEW_REGISTRY
    + (
        "decisioning.view_insighttransaction",
        "core.view_auditevent",
        "rulesets.view_ruleset",
        "rulesets.view_rulesetversion",
    ),
    # The API lets a partner admin upload models and rules and map their fields; so does the admin,
    # so a new partner's admin can go from nothing to a first decision before hiring anyone.
    PARTNER_ADMIN: _VIEW_REGISTRY
    + _AUTHOR_MODELS
    + _ADD_DICTIONARY
    + (
        "partners.view_user",
        "partners.add_user",
        "partners.change_user",
        "partners.view_partner",
        "partners.change_partner",
        "knox.view_authtoken",
        "knox.delete_authtoken",
        "decisioning.view_insighttransaction",
        "core.view_auditevent",
        "rulesets.view_ruleset",
        "rulesets.add_ruleset",
        "rulesets.change_ruleset",
        "rulesets.view_rulesetversion",
        "rulesets.add_rulesetversion",
        "rulesets.change_rulesetversion",
    ),
    UNDERWRITER: (),
    RISK_MANAGER: (),  # works in the API and /portfolio/ pages, not the admin
    PARTNER_SYSTEM: (),
}


def uses_admin(role_names):
    return bool(ADMIN_ROLES & set(role_names))


def sync_role_permissions(group_model, permission_model):
    """Give each role's group exactly the permissions in PERMISSIONS (groups created if missing).

    Takes the model classes so a data migration can pass its historical models. Permissions of
    models not installed (yet) are skipped; the post_migrate sync adds them once they exist.
    """
    for role in ALL:
        group, _ = group_model.objects.get_or_create(name=role)
        wanted = PERMISSIONS[role]
        found = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            permission = permission_model.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                found.append(permission)
        group.permissions.set(found)
