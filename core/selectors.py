from .models import AuditEvent


def audit_event_list(*, partner, object_type=None, object_id=None):
    events = AuditEvent.objects.filter(partner=partner).select_related("actor")
    if object_type is not None:
        events = events.filter(object_type=object_type)
    if object_id is not None:
        events = events.filter(object_id=str(object_id))
    return events
