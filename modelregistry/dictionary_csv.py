"""The data dictionary as CSV: one entry a row, the columns below, `|` between listed values."""

import csv
import io

COLUMNS = (
    "name",
    "data_type",
    "label",
    "description",
    "unit",
    "display_format",
    "allowed_values",
    "value_labels",
    "minimum",
    "maximum",
    "protected",
)
REQUIRED = ("name", "data_type")
MAX_BYTES = 1_000_000
MAX_ROWS = 5_000


def read_rows(text):
    """[(row number, {column: text})] of a CSV document; raises ValueError naming what is wrong."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ValueError(f"The file is larger than {MAX_BYTES:,} bytes.")
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip() for name in reader.fieldnames or ()]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ValueError(f"The header lacks the column(s) {', '.join(missing)}; columns: {', '.join(COLUMNS)}.")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise ValueError(f"Unknown column(s) {', '.join(unknown)}; columns: {', '.join(COLUMNS)}.")
    rows = []
    for number, row in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            raise ValueError(f"More than {MAX_ROWS:,} rows.")
        if None in row:
            raise ValueError(f"Row {number} has more cells than the header.")
        rows.append((number, {key.strip(): (value or "").strip() for key, value in row.items()}))
    return rows


def write_rows(fields):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for field in fields:
        writer.writerow(
            {
                "name": field.name,
                "data_type": field.data_type,
                "label": field.label,
                "description": field.description,
                "unit": field.unit,
                "display_format": field.display_format,
                "allowed_values": "|".join(str(value) for value in field.allowed_values or ()),
                "value_labels": "|".join(f"{key}={value}" for key, value in (field.value_labels or {}).items()),
                "minimum": "" if field.minimum is None else _number(field.minimum),
                "maximum": "" if field.maximum is None else _number(field.maximum),
                "protected": "true" if field.protected else "false",
            }
        )
    return out.getvalue()


def _number(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_cells(row):
    """The model attributes of one row's cells; raises (column, message) as ValueError args."""
    attributes = {"name": row.get("name", ""), "data_type": row.get("data_type", "").lower()}
    for column in ("label", "description", "unit"):
        attributes[column] = row.get(column, "")
    attributes["display_format"] = row.get("display_format", "").lower()
    allowed = row.get("allowed_values", "")
    attributes["allowed_values"] = [value.strip() for value in allowed.split("|")] if allowed else None
    labels = row.get("value_labels", "")
    if labels:
        pairs = {}
        for item in labels.split("|"):
            value, equals, label = item.partition("=")
            if not equals or not value.strip():
                raise ValueError("value_labels", f"Write value=label pairs separated by |; not {item!r}.")
            pairs[value.strip()] = label.strip()
        attributes["value_labels"] = pairs
    else:
        attributes["value_labels"] = None
    for column in ("minimum", "maximum"):
        cell = row.get(column, "")
        try:
            attributes[column] = float(cell) if cell else None
        except ValueError:
            raise ValueError(column, f"{cell!r} is not a number.") from None
    protected = row.get("protected", "").lower()
    if protected not in ("", "true", "false", "yes", "no", "1", "0"):
        raise ValueError("protected", f"{protected!r}: write true or false.")
    attributes["protected"] = protected in ("true", "yes", "1")
    return attributes
