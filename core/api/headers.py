"""Request headers the API reads, checked before any work is done on their behalf."""

import re

from core.exceptions import HeaderError

IDEMPOTENCY_KEY = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = 200  # Decision.idempotency_key's column
_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")


def idempotency_key(request):
    """The request's Idempotency-Key (None when absent or empty), or HeaderError before the flow runs."""
    value = request.headers.get(IDEMPOTENCY_KEY) or None
    if value is None:
        return None
    if len(value) > IDEMPOTENCY_KEY_MAX_LENGTH:
        raise HeaderError(IDEMPOTENCY_KEY, f"At most {IDEMPOTENCY_KEY_MAX_LENGTH} characters ({len(value)} sent).")
    if not _PRINTABLE_ASCII.fullmatch(value):
        raise HeaderError(IDEMPOTENCY_KEY, "Use printable ASCII characters only.")
    return value
