"""Application values as people read them: the dictionary's label, unit and display format."""

import re
from decimal import Decimal, InvalidOperation

from .models import DataDictionaryField, DisplayFormat

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def humanize(name):
    """`annualIncome` -> `Annual income`: a readable fallback for entries without a label."""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()
    return words[:1].upper() + words[1:]


def label_of(field, name):
    return (field.label if field is not None and field.label else None) or humanize(name)


def _number(value):
    if isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def format_value(field, value):
    """`value` as text in `field`'s display format (as sent when there is no format or it does not apply)."""
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(field, item) for item in value) if value else "(none)"
    if field is None:
        number = _number(value)
        if number is None or isinstance(value, str):
            return str(value)
        # No dictionary entry to say what it is: group thousands, keep small fractions as sent.
        return f"{number:,}" if isinstance(value, int) else (f"{number:,.2f}" if abs(number) >= 1000 else str(value))
    style = field.display_format
    if style in ("", DisplayFormat.TEXT):
        if field.value_labels and str(value) in field.value_labels:
            return field.value_labels[str(value)]
        return str(value) + (f" {field.unit}" if field.unit and _number(value) is not None else "")
    if style == DisplayFormat.ENUMERATION:
        return (field.value_labels or {}).get(str(value), str(value))
    number = _number(value)
    if number is None:
        return str(value)
    if style == DisplayFormat.CURRENCY:
        unit = field.unit.upper()
        symbol = CURRENCY_SYMBOLS.get(unit)
        amount = f"{number:,.2f}"
        return f"{symbol}{amount}" if symbol else f"{amount} {unit}".strip()
    if style == DisplayFormat.PERCENT:
        # A unit of "fraction" says the value is stored as 0.135 for 13.5 %.
        shown = number * 100 if field.unit == "fraction" else number
        return f"{shown.normalize():f}%" if shown == shown.to_integral() else f"{shown:,.2f}%"
    # 540.0 reads as 540: the Decimal of a float keeps its ".0" unless made an int.
    text = f"{int(number):,}" if number == number.to_integral() else f"{number:,.2f}"
    return f"{text} {field.unit}".strip() if field.unit else text


def dictionary_of(names):
    return {field.name: field for field in DataDictionaryField.objects.filter(name__in=list(names))}


def labelled(values):
    """[(label, name, formatted value)] for a {dictionary name: value} mapping, in label order; one query."""
    fields = dictionary_of(values)
    rows = [
        (label_of(fields.get(name), name), name, format_value(fields.get(name), value))
        for name, value in values.items()
    ]
    return sorted(rows, key=lambda row: row[0].lower())
