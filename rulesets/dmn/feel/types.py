"""FEEL types as parsed by `Parser.type_name` and the `instance of` check.

A type node is ('type', name) | ('list type', t) | ('context type', [(key, t)]) | ('range type', t)
| ('function type', [t], t). Names a model defines (item definitions) are resolved through
`TYPES_KEY` in the scope: a dict of name -> type node the model compiler puts there.
"""

from .values import Function, Range, kind_of

TYPES_KEY = " item definitions"  # a space: no FEEL name can collide with it
BUILT_IN = {
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "date": "date",
    "time": "time",
    "date and time": "date and time",
    "dateTime": "date and time",
    "days and time duration": "days and time duration",
    "dayTimeDuration": "days and time duration",
    "years and months duration": "years and months duration",
    "yearMonthDuration": "years and months duration",
    "list": "list",
    "context": "context",
    "range": "range",
    "function": "function",
}


def instance_check(value, type_node, scope=None):
    """`value instance of type`: never null; null is an instance of no type but Null."""
    kind = type_node[0]
    if kind == "type":
        name = type_node[1]
        if name == "Any":
            return value is not None
        if name == "Null":
            return value is None
        if value is None:
            return False
        expected = BUILT_IN.get(name.split(":")[-1] if ":" in name and name.split(":")[0] in ("feel", "xsd") else name)
        if expected is not None:
            return kind_of(value) == expected
        definitions = scope.get(TYPES_KEY) if scope else None
        defined = definitions.get(name) if definitions else None
        if defined and defined[0] == "constrained":  # `instance of` does not look at allowed values
            return defined[1] is None or instance_check(value, defined[1], scope)
        return bool(defined) and instance_check(value, defined, scope)
    if value is None:
        return False
    if kind == "list type":
        return type(value) is list and all(item is None or instance_check(item, type_node[1], scope) for item in value)
    if kind == "context type":
        return type(value) is dict and all(
            key in value and (value[key] is None or instance_check(value[key], entry_type, scope))
            for key, entry_type in type_node[1]
        )
    if kind == "constrained":
        return (type_node[1] is None or instance_check(value, type_node[1], scope)) and type_node[2](value) is True
    if kind == "range type":
        return type(value) is Range and all(
            endpoint is None or instance_check(endpoint, type_node[1], scope) for endpoint in (value.start, value.end)
        )
    if kind == "function type":
        if type(value) is not Function:
            return False
        parameters, result = type_node[1], type_node[2]
        if value.parameters is not None and len(value.parameters) != len(parameters):
            return False
        if value.types:
            for declared, expected in zip(value.types, parameters):
                if declared is not None and not conforms(expected, declared):
                    return False
        if value.result_type is not None and not conforms(value.result_type, result):
            return False
        return True
    return False


def conforms(narrower, wider):
    """Whether every value of type `narrower` is a value of type `wider` (built-in types only)."""
    if wider == ("type", "Any"):
        return True
    if narrower[0] != wider[0]:
        return False
    if narrower[0] == "type":
        return BUILT_IN.get(narrower[1], narrower[1]) == BUILT_IN.get(wider[1], wider[1])
    if narrower[0] in ("list type", "range type"):
        return conforms(narrower[1], wider[1])
    if narrower[0] == "context type":
        entries = dict(narrower[1])
        return all(key in entries and conforms(entries[key], t) for key, t in wider[1])
    if narrower[0] == "function type":
        return (
            len(narrower[1]) == len(wider[1])
            and all(conforms(w, n) for n, w in zip(narrower[1], wider[1]))
            and conforms(narrower[2], wider[2])
        )
    return False
