"""The PMML engine: `load(source, *, engine=None)` returns a model with evaluate / evaluate_batch.

Plain Python (no Django). Importing this package starts no JVM and imports no pandas; the
reference engine (pypmml) is imported inside `load` only when a model uses it.
"""
from .errors import EvaluationError, ModelLoadError
from .fields import Field, model_fields
from .reader import parse, read_source

__all__ = ["load", "Field", "ModelLoadError", "EvaluationError", "ENGINES"]

ENGINES = ("native", "pypmml")


def load(source, *, engine=None):
    """Load a PMML artifact (path, XML str or bytes) on `engine` (None = the package default)."""
    if engine not in (None,) + ENGINES:
        raise ValueError(f"unknown PMML engine {engine!r}; choose one of {ENGINES}")
    data, sha256 = read_source(source)
    root = parse(data)
    fields = model_fields(root)
    from .reference import PyPMMLModel

    return PyPMMLModel(data, sha256, fields)
