"""Matching a CSV's column names to data-dictionary names."""

import re

import pandas as pd


def camel_case(column: str) -> str:
    """`annual_inc` -> `annualInc`, `Annual Income` -> `annualIncome`, `DTI` -> `dti`."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])", str(column)) if w]
    if not words:
        return "field"
    name = words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
    if not name[0].isalpha():
        name = "field" + name[:1].upper() + name[1:]
    return name[:64]


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def match_columns(columns, dictionary: dict):
    """(matched, proposed) for CSV `columns` against `dictionary` (name -> field with .data_type).

    matched: column -> dictionary name: the camelCase form of the column is an entry's name, or
    equals it ignoring case and punctuation. proposed: column -> a new camelCase name, unique.
    """
    by_key = {}
    for name in dictionary:
        by_key.setdefault(_key(name), name)
    matched, proposed, taken = {}, {}, set(dictionary)
    for column in columns:
        name = camel_case(column)
        found = name if name in dictionary else by_key.get(_key(name))
        if found is not None and found not in matched.values():
            matched[column] = found
            continue
        candidate, number = name, 2
        while candidate in taken:
            candidate, number = f"{name}{number}"[:64], number + 1
        taken.add(candidate)
        proposed[column] = candidate
    return matched, proposed


def proposed_data_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "number"
    return "string"
