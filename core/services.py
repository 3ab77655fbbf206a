from .models import AuditEvent


def audit_event_record(*, actor, action, obj, partner=None, data=None) -> AuditEvent:
    """Record `action` on `obj`. Call inside the service's transaction."""
    if partner is None:
        partner = getattr(obj, "partner", None)
    if actor is not None and not getattr(actor, "pk", None):
        actor = None
    return AuditEvent.objects.create(
        partner=partner,
        actor=actor,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        data=data or {},
    )
