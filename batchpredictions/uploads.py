"""Reading an uploaded CSV of applications: bounded in bytes, rows, columns and cell length.

A problem with the file as a whole (not UTF-8, not CSV, no header, too large) is an ArgumentError
naming it, and nothing is stored. A problem with one row (a cell too long, too many or too few
cells) is that row's error in the result: a bad row never stops the others.
"""

import csv
import hashlib
import io
from dataclasses import dataclass

from django.conf import settings

from core.exceptions import ArgumentError

MAX_CELL_CHARS = 1_000
MAX_COLUMN_NAME_CHARS = 200


def limits():
    """(bytes, rows, columns): settings BATCH_PREDICTION_MAX_BYTES, _MAX_ROWS, _MAX_COLUMNS."""
    return (
        settings.BATCH_PREDICTION_MAX_BYTES,
        settings.BATCH_PREDICTION_MAX_ROWS,
        settings.BATCH_PREDICTION_MAX_COLUMNS,
    )


@dataclass
class UploadedCsv:
    header: list  # column names as written
    rows: list  # [[cell text, ...], ...]: data rows as read (blank lines left out)
    sha256: str


def csv_read(*, data, field="file") -> UploadedCsv:
    """The header and rows of `data` (bytes or str), or ArgumentError on `field` naming the problem."""
    max_bytes, max_rows, max_columns = limits()
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not data:
        raise ArgumentError(field, "The file is empty.")
    if len(data) > max_bytes:
        raise ArgumentError(field, f"The file is {len(data):,} bytes; the limit is {max_bytes:,}.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArgumentError(field, f"The file is not UTF-8 text (byte {error.start:,}).") from None
    if "\x00" in text:
        raise ArgumentError(field, "The file holds NUL characters; it is not a CSV text file.")
    # The csv module's own cell limit is far above ours; a cell over ours is a row error.
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise ArgumentError(field, "The first line must name the columns (data-dictionary names).")
        header = [cell.strip() for cell in header]
        _check_header(header, field=field, max_columns=max_columns)
        rows = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(rows) >= max_rows:
                raise ArgumentError(field, f"The file has more than {max_rows:,} rows; the limit is {max_rows:,}.")
            rows.append(row)
    except csv.Error as error:
        raise ArgumentError(field, f"Not a readable CSV file (line {reader.line_num}): {error}.") from None
    if not rows:
        raise ArgumentError(field, "The file has a header but no rows.")
    return UploadedCsv(header=header, rows=rows, sha256=hashlib.sha256(data).hexdigest())


def _check_header(header, *, field, max_columns):
    if len(header) > max_columns:
        raise ArgumentError(field, f"The file has {len(header)} columns; the limit is {max_columns}.")
    seen = set()
    for position, name in enumerate(header, start=1):
        if not name:
            raise ArgumentError(field, f"Column {position} of the header has no name.")
        if len(name) > MAX_COLUMN_NAME_CHARS:
            raise ArgumentError(field, f"Column {position}'s name is longer than {MAX_COLUMN_NAME_CHARS} characters.")
        if name in seen:
            raise ArgumentError(field, f"The header names the column {name!r} twice.")
        seen.add(name)


def row_shape_error(row, header) -> str:
    """The error of a row whose shape is wrong, or ""."""
    if len(row) != len(header):
        return f"the row has {len(row)} cells; the header names {len(header)} columns"
    for name, cell in zip(header, row):
        if len(cell) > MAX_CELL_CHARS:
            return f"{name}: longer than {MAX_CELL_CHARS:,} characters"
    return ""


def row_for_output(row, header):
    """The row as the result echoes it: as many cells as the header, none longer than the limit."""
    cells = [cell if len(cell) <= MAX_CELL_CHARS else cell[:MAX_CELL_CHARS] + "…" for cell in row[: len(header)]]
    return cells + [""] * (len(header) - len(cells))
