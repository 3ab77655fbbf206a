"""The PMML engine: `load(source, *, engine=None)` returns a model with evaluate / evaluate_batch.

Plain Python (no Django). Importing this package starts no JVM and imports no pandas; the
reference engine (pypmml) is imported inside `load` only when a model uses it.
"""
from .errors import EvaluationError, ModelLoadError, PMMLError, UnsupportedElement
from .fields import Field, model_fields
from .reader import decode, parse, read_source

__all__ = ["load", "Field", "ModelLoadError", "EvaluationError", "ENGINES"]

ENGINES = ("native", "pypmml")


def load(source, *, engine=None):
    """Load a PMML artifact (path, XML str or bytes) on `engine` (None = the package default)."""
    if engine not in (None,) + ENGINES:
        raise ValueError(f"unknown PMML engine {engine!r}; choose one of {ENGINES}")
    data, sha256 = read_source(source)
    text = decode(data)  # what the safe XML door checked is all any engine, pypmml included, ever reads
    root = parse(text)
    fields = model_fields(root)
    warnings = []
    if engine in (None, "native"):
        from .native import NativeModel

        try:
            return NativeModel(root, sha256, fields)
        except UnsupportedElement as error:
            if engine == "native":
                raise
            reason = str(error)
        except PMMLError:
            raise
        except Exception as error:  # a gap in the native engine must not block a valid model
            if engine == "native":
                raise ModelLoadError(f"the native engine failed to compile the model: {error!r}") from error
            reason = f"the native engine failed to compile the model ({type(error).__name__}: {error})"
        warnings.append(f"evaluated by the pypmml reference engine (starts a JVM) because {reason}")
    from .reference import PyPMMLModel

    return PyPMMLModel(text, sha256, fields, warnings)
