"""JSON:API `filter[...]` query parameters, parsed for selectors."""
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from core.exceptions import ArgumentErrors, ParameterError


class FilterParser:
    """Collects every bad filter before raising, like argument validation does."""

    def __init__(self, query_params):
        self.query_params = query_params
        self.errors = []

    def _raw(self, name):
        value = self.query_params.get(f"filter[{name}]")
        return value if value not in (None, "") else None

    def text(self, name):
        return self._raw(name)

    def choice(self, name, choices):
        value = self._raw(name)
        if value is not None and value not in choices:
            self.errors.append(ParameterError(f"filter[{name}]", f"Use one of: {', '.join(choices)}."))
            return None
        return value

    def uuid(self, name):
        import uuid

        value = self._raw(name)
        if value is None:
            return None
        try:
            return uuid.UUID(value)
        except ValueError:
            self.errors.append(ParameterError(f"filter[{name}]", f"{value!r} is not an id."))
            return None

    def moment(self, name, *, end_of_day=False):
        """An ISO date-time, or a date (its start, or with `end_of_day` its end)."""
        value = self._raw(name)
        if value is None:
            return None
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                self.errors.append(
                    ParameterError(f"filter[{name}]", f"{value!r} is not a date (YYYY-MM-DD) or date-time (ISO 8601).")
                )
                return None
            moment = timezone.datetime.combine(
                day, timezone.datetime.max.time() if end_of_day else timezone.datetime.min.time()
            )
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment

    def raise_errors(self):
        if self.errors:
            raise ArgumentErrors(self.errors)
