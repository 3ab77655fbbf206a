"""Creditbox's DMN engine: plain Python, no Django import (contract: docs/engine-interface.md)."""

from .errors import EvaluationError, ModelLoadError
from .fields import Field

ENGINES = ("native", "pydmnrules")
DEFAULT_ENGINE = "native"

__all__ = ["load", "fields_of", "read_model", "Field", "ModelLoadError", "EvaluationError", "ENGINES", "DEFAULT_ENGINE"]


def load(source, *, engine=None, fallback=False, import_resolver=None):
    """Load a DMN model from a path, XML text or bytes and return an evaluable model.

    `fallback` is part of the engine contract; the native DMN engine never falls back to
    pyDMNrules, so it changes nothing here. `import_resolver(namespace)` returns the source of a
    model the loaded one imports (from the same upload or the partner's registry), or None; models
    are found by namespace only.
    """
    from .fields import model_fields

    engine = engine or DEFAULT_ENGINE
    if engine not in ENGINES:
        raise ValueError("unknown DMN engine %r; choose one of %s" % (engine, ", ".join(ENGINES)))
    definitions = read_model(source)
    fields = model_fields(definitions)
    if engine == "pydmnrules":
        from .reference import ReferenceModel

        return ReferenceModel(definitions, fields)
    from .model import NativeModel

    return NativeModel(definitions, fields, import_resolver)


def fields_of(source):
    """The model's `Field`s without building an engine (cheap: reads the XML only)."""
    from .fields import model_fields

    return model_fields(read_model(source))


def read_model(source):
    """`Definitions` of `source` with what tools leave implicit made explicit (implicit inputs,
    with `definitions.warnings` naming them); see `visibility`."""
    from .reader import read_definitions
    from .visibility import declare_implicit_inputs

    definitions = read_definitions(source)
    declare_implicit_inputs(definitions)
    return definitions
