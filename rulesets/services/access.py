"""Who may act on a partner's rulesets (shared by the ruleset services)."""

from core.exceptions import NotFound, NotPermitted
from partners import roles

AUTHOR_ROLES = (roles.RULE_EDITOR, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)
PUBLISHER_ROLES = (roles.RULE_APPROVER, roles.PARTNER_ADMIN)


def check_partner(actor, ruleset):
    """Another partner's ruleset does not exist for the actor (404, never 403)."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if getattr(actor, "partner_id", None) != ruleset.partner_id:
        raise NotFound(f"No ruleset {ruleset.pk}.")


def require_role(actor, allowed, doing):
    if actor is not None and getattr(actor, "is_superuser", False):
        return
    if actor is None or not actor.has_any_role(*allowed):
        raise NotPermitted(f"Only {', '.join(allowed)} users may {doing}.")
