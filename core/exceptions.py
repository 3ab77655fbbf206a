"""Domain exceptions raised by services and selectors.

The API's one exception handler turns them into JSON:API error objects; pages turn them into
messages. Views never build error bodies by hand.
"""


class DomainError(Exception):
    """Base class: something the caller asked for cannot be done."""

    code = "invalid"

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ArgumentError(DomainError):
    """One input is wrong. `field` is the attribute path, e.g. ("arguments", "annualIncome")."""

    def __init__(self, field, message, *, code="invalid"):
        super().__init__(message)
        self.field = (field,) if isinstance(field, str) else tuple(field)
        self.code = code

    def __repr__(self):
        return f"ArgumentError({'/'.join(self.field)!r}, {self.message!r})"


class ArgumentErrors(DomainError):
    """Several inputs are wrong at once: every problem is reported, not only the first."""

    def __init__(self, errors):
        errors = list(errors)
        super().__init__("; ".join(f"{'/'.join(e.field)}: {e.message}" for e in errors))
        self.errors = errors


class NotFound(DomainError):
    """The object does not exist for this partner (another partner's objects are invisible)."""

    code = "not_found"


class NotPermitted(DomainError):
    code = "permission_denied"


class Conflict(DomainError):
    code = "conflict"


class EngineError(DomainError):
    """An engine failed while evaluating. `insight_id` names the stored error transaction."""

    code = "engine_error"

    def __init__(self, message, *, insight_id=None, location=None):
        super().__init__(message)
        self.insight_id = insight_id
        self.location = location


class ParameterError(ArgumentError):
    """A query parameter is wrong (JSON:API `source.parameter`)."""


class ServiceUnavailable(DomainError):
    """A service the request needs (the job queue, the database) cannot be reached now; retry later."""

    code = "service_unavailable"
    retry_after_seconds = 30


class HeaderError(ArgumentError):
    """A request header is wrong (JSON:API `source.header`)."""
