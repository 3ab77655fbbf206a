"""The reference engine: pypmml (pmml4s on a JVM). Imported only when a model asks for it."""

from .errors import EvaluationError, ModelLoadError
from .limits import MAX_STRING_RESULT
from .values import is_missing, plain


class PyPMMLModel:
    engine_name = "pypmml"

    def __init__(self, text, sha256, fields, warnings=()):
        """`text`: the document as the safe XML door accepted it (never raw upload bytes)."""
        if not isinstance(text, str):
            raise TypeError("pypmml is given only the text the safe XML door accepted")
        try:
            import pypmml
            from pypmml import Model  # starts a JVM: only for models that need it
        except ImportError as error:  # pragma: no cover - depends on the installation
            raise ModelLoadError(f"the pypmml reference engine is not installed: {error}") from None
        self.engine_version = getattr(pypmml, "__version__", "unknown")
        self.sha256 = sha256
        self.fields = list(fields)
        self.warnings = list(warnings)
        try:
            self._model = Model.fromString(text)
        except Exception as error:
            raise ModelLoadError(f"pypmml could not load the model: {str(error).splitlines()[0][:300]}") from None
        self._arguments = [f.name for f in self.fields if f.field_type == "argument"]
        self._results = [f.name for f in self.fields if f.field_type == "result"]
        targets = list(self._model.targetNames or [])
        # Without an Output element pypmml names its default output predicted_<target>.
        self._source_column = {name: name for name in self._results}
        for name in self._results:
            if name in targets:
                self._source_column[name] = name
        self._defaults = {t: "predicted_" + t for t in targets}
        if any(r in targets for r in self._results):
            self._model.setSupplementOutput(True)

    def _pick(self, row, name):
        if name in row:
            return row[name]
        return row.get(self._defaults.get(name, ""), None)

    def evaluate(self, record):
        clean = {name: (None if is_missing(record.get(name)) else plain(record.get(name))) for name in self._arguments}
        try:
            row = self._model.predict(clean)
        except Exception as error:
            raise EvaluationError(f"pypmml failed: {str(error).splitlines()[0][:300]}") from None
        results = {name: plain(self._pick(row, name)) for name in self._results}
        for name, value in results.items():
            if isinstance(value, str) and len(value) > MAX_STRING_RESULT:
                raise EvaluationError(
                    f"result {name!r} has {len(value):,} characters; the limit is {MAX_STRING_RESULT:,}"
                )
        return results

    def evaluate_batch(self, frame):
        import pandas as pd

        columns = [c for c in self._arguments if c in frame.columns]
        # pypmml does not treat an empty cell of an integer column as missing when given NaN.
        records = frame[columns].astype(object).where(frame[columns].notna(), None)
        try:
            out = self._model.predict(records)
        except Exception as error:
            raise EvaluationError(f"pypmml failed: {str(error).splitlines()[0][:300]}") from None
        result = pd.DataFrame(index=frame.index)
        for name in self._results:
            source = name if name in out.columns else self._defaults.get(name)
            values = out[source].tolist() if source in out.columns else [None] * len(frame)
            result[name] = [plain(v) for v in values]
        return result
