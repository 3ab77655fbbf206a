"""The PMML engine: `load(source, *, engine=None)` returns a model with evaluate / evaluate_batch.

Plain Python (no Django). Importing this package starts no JVM and imports no pandas; the
reference engine (pypmml) is imported inside `load` only when a model uses it.
"""

from .errors import EvaluationError, ModelLoadError, PMMLError, UnsupportedElement
from .fields import Field, model_fields
from .limits import check_static_format_patterns
from .reader import decode, parse, read_source

__all__ = ["load", "Field", "ModelLoadError", "EvaluationError", "ENGINES"]

ENGINES = ("native", "pypmml")


def load(source, *, engine=None, fallback=False):
    """Load a PMML artifact (path, XML str or bytes) on `engine` (None = the package default, native).

    `fallback=True` lets the pypmml reference engine (a JVM) evaluate a model the native engine
    cannot compile; it is an explicit choice of the caller (the registry records it per model), never
    the default. Either way the document is read through the safe XML door first, and pypmml is
    handed only the text the door accepted.
    """
    if engine not in (None,) + ENGINES:
        raise ValueError(f"unknown PMML engine {engine!r}; choose one of {ENGINES}")
    data, sha256 = read_source(source)
    text = decode(data)  # what the safe XML door checked is all any engine, pypmml included, ever reads
    root = parse(text)
    check_static_format_patterns(root)
    fields = model_fields(root)
    warnings = []
    if engine in (None, "native"):
        from .native import NativeModel

        try:
            return NativeModel(root, sha256, fields)
        except UnsupportedElement as error:
            if engine == "native" or not fallback:
                raise _without_fallback(error, engine) from None
            reason = str(error)
        except PMMLError:
            raise
        except Exception as error:  # a gap in the native engine must not block a valid model
            if engine == "native" or not fallback:
                raise _without_fallback(
                    ModelLoadError(f"the native engine failed to compile the model: {error!r}"), engine
                ) from error
            reason = f"the native engine failed to compile the model ({type(error).__name__}: {error})"
        warnings.append(f"evaluated by the pypmml reference engine (starts a JVM) because {reason}")
    from .reference import PyPMMLModel

    return PyPMMLModel(text, sha256, fields, warnings)


def _without_fallback(error, engine):
    if engine == "native":
        return error
    message = str(error)
    if error.location and message.endswith(f" ({error.location})"):
        message = message[: -len(f" ({error.location})")]
    refused = type(error)(
        f"{message}; the native engine cannot evaluate this model, and falling back to the "
        "pypmml reference engine was not allowed",
        error.location,
    )
    refused.needs_reference_engine = True  # callers can say how to allow it in their own terms
    return refused
