"""JSON:API `filter[...]` query parameters, parsed for selectors."""

import datetime
import uuid

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework.filters import BaseFilterBackend

from core.exceptions import ArgumentErrors, ParameterError

# How `moment` filters are documented: a date or an ISO 8601 date-time, any UTC offset.
MOMENT_SCHEMA = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}]}


class FilterParser:
    """Collects every bad filter before raising, like argument validation does."""

    def __init__(self, query_params):
        self.query_params = query_params
        self.errors = []
        for name, value in query_params.items():
            if name.startswith("filter[") and "\x00" in value:
                # No stored text holds NUL (PostgreSQL refuses it in a query), so nothing could match.
                self.errors.append(ParameterError(name, "A filter value may not contain a NUL character."))

    def _raw(self, name):
        """The value as sent ("" included: only `text` reads an empty value as no filter), None if absent."""
        value = self.query_params.get(f"filter[{name}]")
        if value is None or "\x00" in value:  # NUL: already reported
            return None
        return value

    def text(self, name):
        return self._raw(name) or None

    def choice(self, name, choices):
        value = self._raw(name)
        if value is not None and value not in choices:
            self.errors.append(ParameterError(f"filter[{name}]", f"Use one of: {', '.join(choices)}."))
            return None
        return value

    def uuid(self, name):
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
        try:
            moment = self._parse_moment(value, end_of_day=end_of_day)
        except (ValueError, OverflowError):
            # Django's parsers raise for well-shaped nonsense: month 13, a UTC offset of 24 hours.
            moment = None
        if moment is None:
            self.errors.append(
                ParameterError(
                    f"filter[{name}]",
                    f"{value!r} is not a date (YYYY-MM-DD) or date-time (ISO 8601).",
                )
            )
        return moment

    @staticmethod
    def _parse_moment(value, *, end_of_day):
        """The moment in UTC: the database refuses UTC offsets beyond ±15:59, which ISO 8601 allows."""
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                return None
            moment = datetime.datetime.combine(day, datetime.time.max if end_of_day else datetime.time.min)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        try:
            return moment.astimezone(datetime.timezone.utc)
        except OverflowError:
            # Within a day of the calendar's ends: before or after every stored moment.
            edge = datetime.datetime.max if moment.year == datetime.MAXYEAR else datetime.datetime.min
            return edge.replace(tzinfo=datetime.timezone.utc)

    def raise_errors(self):
        if self.errors:
            raise ArgumentErrors(self.errors)


class FilterTextBackend(BaseFilterBackend):
    """On every list, including those that read no filter: no `filter[...]` value may carry NUL."""

    def filter_queryset(self, request, queryset, view):
        FilterParser(request.query_params).raise_errors()
        return queryset
