"""Arguments in the data dictionary's vocabulary, checked before anything reaches an engine.

Every problem is collected, so a partner's developer sees all of them in one answer.
An explicit `null` is a missing value (the model's own missing-value treatment applies);
an absent key is an error, so a typo in a name can never pass for a missing value.
"""

import datetime
import decimal
import math

from core.exceptions import ArgumentError

from .models import DataType

# Which dictionary types may feed a model field of a given type.
COMPATIBLE_TYPES = {
    "number": {DataType.NUMBER, DataType.INTEGER},
    "integer": {DataType.INTEGER},
    "boolean": {DataType.BOOLEAN},
    "string": {DataType.STRING},
    "date": {DataType.DATE},
    "datetime": {DataType.DATE},
    "list": {DataType.LIST},
    "context": {DataType.OBJECT},
    "any": set(DataType.values),
}


def is_compatible(model_data_type, dictionary_data_type, field_type):
    allowed = COMPATIBLE_TYPES.get(model_data_type, set(DataType.values))
    if field_type == "result" and model_data_type == "integer":
        # Reading an integer result into a number concept loses nothing; the reverse would.
        allowed = allowed | {DataType.NUMBER}
    return dictionary_data_type in allowed


def convert_value(dictionary_field, value):
    """Return `value` as the dictionary's type says, or raise ValueError with a message."""
    if value is None:
        return None
    data_type = dictionary_field.data_type
    if data_type in (DataType.NUMBER, DataType.INTEGER):
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise ValueError(f"must be a {data_type}, not {_describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if data_type == DataType.INTEGER:
            if value != int(value):
                raise ValueError(f"must be an integer, not {value}")
            value = int(value)
        _check_bounds(dictionary_field, value)
    elif data_type == DataType.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false, not {_describe(value)}")
    elif data_type == DataType.STRING:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {_describe(value)}")
    elif data_type == DataType.DATE:
        if not isinstance(value, str):
            raise ValueError(f"must be a date as YYYY-MM-DD, not {_describe(value)}")
        try:
            value = datetime.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"must be a date as YYYY-MM-DD, not {value!r}") from None
    elif data_type == DataType.LIST:
        if not isinstance(value, list):
            raise ValueError(f"must be a list, not {_describe(value)}")
    elif data_type == DataType.OBJECT:
        if not isinstance(value, dict):
            raise ValueError(f"must be an object, not {_describe(value)}")
    allowed = dictionary_field.allowed_values
    if allowed is not None and value not in allowed:
        shown = ", ".join(repr(v) for v in allowed[:20]) + (" …" if len(allowed) > 20 else "")
        raise ValueError(f"{value!r} is not one of the allowed values ({shown})")
    return value


def _check_bounds(dictionary_field, value):
    if dictionary_field.minimum is not None and value < dictionary_field.minimum:
        raise ValueError(f"{value} is below the minimum {dictionary_field.minimum:g}")
    if dictionary_field.maximum is not None and value > dictionary_field.maximum:
        raise ValueError(f"{value} is above the maximum {dictionary_field.maximum:g}")


def _describe(value):
    names = {bool: "a boolean", str: "a string", list: "a list", dict: "an object", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


class CompiledArguments:
    """A model's mapped argument fields, read once: (dictionary name, artifact name, dictionary
    field) for each dictionary name, in field order (of two fields mapped to one name, the last).

    Built once per flow plan (decisioning/flows.py), so a decision converts its arguments without
    going through the fields' relations again; `arguments_to_record` builds one per call.
    """

    __slots__ = ("inputs", "names")

    def __init__(self, argument_fields):
        by_name = {field.supported_field.name: field for field in argument_fields}
        self.inputs = tuple((name, field.name, field.supported_field) for name, field in by_name.items())
        self.names = frozenset(by_name)

    def record(self, arguments, *, path=("arguments",)):
        """`arguments` (dictionary-named) in the artifact's names: (record, errors), as
        arguments_to_record returns them."""
        if not isinstance(arguments, dict):
            return {}, [ArgumentError(path, "must be an object of dictionary names to values")]
        names = self.names
        errors = [
            ArgumentError(path + (name,), f"{name!r} is not an argument of this model", code="unknown")
            for name in arguments
            if name not in names
        ]
        record = {}
        for name, artifact_name, dictionary_field in self.inputs:
            if name not in arguments:
                errors.append(ArgumentError(path + (name,), f"{name!r} is required", code="required"))
                continue
            try:
                record[artifact_name] = convert_value(dictionary_field, arguments[name])
            except ValueError as problem:
                errors.append(ArgumentError(path + (name,), f"{name}: {problem}"))
        return record, errors


def arguments_to_record(argument_fields, arguments, *, path=("arguments",)):
    """Translate dictionary-named `arguments` into the artifact's names.

    `argument_fields` are the model's mapped argument fields (with `supported_field` loaded).
    Returns (record, errors): `record` keyed by artifact names, `errors` a list of ArgumentError.
    """
    return CompiledArguments(argument_fields).record(arguments, path=path)


def plain_value(value):
    """An engine's value as stored and shown: NaN is missing, numpy scalars become Python."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    if isinstance(value, tuple):
        return [plain_value(item) for item in value]
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    return value


def field_mapping(fields):
    """{artifact name: dictionary name} of a model's mapped fields, as its evaluations record it."""
    return {field.name: field.supported_field.name for field in fields if field.supported_field_id}


def result_keys(result_fields):
    """((artifact name, key), ...): the key of each result is its dictionary name (a result not yet
    mapped keeps its own name). Built once per flow plan, or per evaluation of a single model."""
    return tuple(
        (field.name, field.supported_field.name if field.supported_field_id else field.name) for field in result_fields
    )


def results_from_keys(keys, output):
    """An engine's output keyed as `keys` (result_keys) says, each value as stored and shown."""
    return {key: plain_value(output.get(name)) for name, key in keys}


def convert_text(dictionary_field, text):
    """A CSV cell (text) as the dictionary's type says: an empty cell is a missing value.

    Raises ValueError with a message, as convert_value does (bounds and allowed values included).
    """
    if text is None or text.strip() == "":
        return None
    text = text.strip()
    data_type = dictionary_field.data_type
    if data_type in (DataType.NUMBER, DataType.INTEGER):
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"must be a {data_type}, not {text!r}") from None
        if number.is_integer() and abs(number) < 2**53:
            number = int(number)  # as written: "-5" is reported as -5, not -5.0
        return convert_value(dictionary_field, number)
    if data_type == DataType.BOOLEAN:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"must be true or false, not {text!r}")
        return text.lower() == "true"
    return convert_value(dictionary_field, text)
