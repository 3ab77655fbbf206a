import uuid


def parse_uuid(value):
    """`value` as a UUID, or None when it is not one (selectors then find nothing: a 404)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
