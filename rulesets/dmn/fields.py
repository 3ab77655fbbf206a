"""The `Field` description shared by every engine package (see docs/engine-interface.md)."""

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Field:
    name: str
    field_type: str  # "argument" | "result"
    data_type: str
    allowed_values: Optional[tuple] = None
    optype: Optional[str] = None


FEEL_DATA_TYPES = {
    "number": "number",
    "decimal": "number",
    "double": "number",
    "float": "number",
    "integer": "integer",
    "int": "integer",
    "long": "integer",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "date and time": "datetime",
    "datetime": "datetime",
    "time": "time",
    "duration": "duration",
    "days and time duration": "duration",
    "years and months duration": "duration",
    "daytimeduration": "duration",
    "yearmonthduration": "duration",
    "any": "any",
    "context": "context",
    "list": "list",
}


def strip_type_prefix(type_ref):
    """'feel:number' / 'xsd:string' -> 'number' / 'string'; item definition names pass unchanged."""
    if type_ref and ":" in type_ref and type_ref.split(":", 1)[0] in ("feel", "FEEL", "xsd", "xs"):
        return type_ref.split(":", 1)[1]
    return type_ref


def data_type_of(type_ref, item_definitions, seen=()):
    """Map a DMN typeRef (built-in or item definition name) to the contract's data_type."""
    type_ref = strip_type_prefix(type_ref)
    if not type_ref:
        return "any"
    builtin = FEEL_DATA_TYPES.get(type_ref.lower())
    if builtin:
        return builtin
    if type_ref.startswith("list<"):
        return "list"
    if type_ref.startswith("context<"):
        return "context"
    item = item_definitions.get(type_ref)
    if item is None or type_ref in seen:
        return "any"
    if item.is_collection:
        return "list"
    if item.components:
        return "context"
    return data_type_of(item.type_ref, item_definitions, seen + (type_ref,))


def allowed_values_of(type_ref, item_definitions, seen=()):
    item = item_definitions.get(strip_type_prefix(type_ref) or "")
    if item is None or type_ref in seen:
        return None
    if item.allowed_values:
        return parse_allowed_values(item.allowed_values)
    if item.type_ref and not item.components:
        return allowed_values_of(item.type_ref, item_definitions, seen + (type_ref,))
    return None


def _split_top_level(text):
    parts, depth, quoted, start = [], 0, False, 0
    for index, char in enumerate(text):
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        elif not quoted and depth == 0 and char == ",":
            parts.append(text[start:index].strip())
            start = index + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def parse_allowed_values(text):
    """Literal allowed values become Python values; ranges and other tests stay as FEEL text."""
    import decimal

    values = []
    for part in _split_top_level(text):
        if len(part) >= 2 and part[0] == part[-1] == '"':
            values.append(part[1:-1].replace('\\"', '"'))
        elif part in ("true", "false"):
            values.append(part == "true")
        elif part == "null":
            values.append(None)
        else:
            try:
                values.append(decimal.Decimal(part))
            except decimal.InvalidOperation:
                values.append(part)
    return tuple(values)


def model_fields(definitions):
    """Every inputData as an argument, then every decision as a result, in artifact order."""
    items = definitions.item_definitions
    fields = [
        Field(d.name, "argument", data_type_of(d.type_ref, items), allowed_values_of(d.type_ref, items))
        for d in definitions.input_data
    ]
    for decision in definitions.decisions:
        data_type = data_type_of(decision.type_ref, items)
        table = decision.expression
        if type(table).__name__ == "DecisionTable":
            if table.hit_policy == "C" and not table.aggregation or table.hit_policy in ("R", "O"):
                data_type = "list"
            elif len(table.outputs) > 1:
                data_type = "context"
            elif data_type == "any" and table.outputs[0].type_ref:
                data_type = data_type_of(table.outputs[0].type_ref, items)
        fields.append(Field(decision.name, "result", data_type, allowed_values_of(decision.type_ref, items)))
    return fields
