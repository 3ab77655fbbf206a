"""The reference engine: pyDMNrules behind the package contract.

pyDMNrules is imported here, inside `load`, and nowhere else at module level: its import takes
about 13 s, which web and worker processes must not pay unless a reference evaluation is asked for.
"""

import datetime
import decimal

from .errors import EvaluationError, ModelLoadError
from .values import is_missing


def _to_engine(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 else float(value)
    if isinstance(value, dict):
        return {k: _to_engine(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_engine(v) for v in value]
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (datetime.date, datetime.time, datetime.timedelta)):
        return value.item()
    return value


def _from_engine(value):
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return None if value != value else decimal.Decimal(repr(value))
    if isinstance(value, int):
        return decimal.Decimal(value)
    if isinstance(value, dict):
        return {k: _from_engine(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_from_engine(v) for v in value]
    return value


def _extract(result, name, single_output):
    if result.get(name) is not None:
        return result[name]
    prefix = name + "."
    components = {k[len(prefix) :]: v for k, v in result.items() if k.startswith(prefix)}
    if not components:
        if name in result:
            return None
        raise KeyError(name)
    if single_output and len(components) == 1:  # pyDMNrules names a lone output column 'decision.output'
        return next(iter(components.values()))
    tree = {}
    for key, value in components.items():
        parts = key.split(".")
        node = tree
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return tree


class ReferenceModel:
    engine_name = "pydmnrules"

    def __init__(self, definitions, fields):
        import pyDMNrules  # deliberately lazy, see the module docstring

        self.engine_version = getattr(pyDMNrules, "__version__", None) or _installed_version()
        self.sha256 = definitions.sha256
        self.fields = list(fields)
        self.warnings = []
        self._definitions = definitions
        self._decision_names = [d.name for d in definitions.decisions]
        self._single_output = {
            d.name
            for d in definitions.decisions
            if type(d.expression).__name__ == "DecisionTable" and len(d.expression.outputs) == 1
        }
        self._engine = pyDMNrules.DMN()
        try:
            status = self._engine.useXML(definitions.text)
        except Exception as error:  # noqa: BLE001 - pyDMNrules raises anything on bad models
            raise ModelLoadError(
                "pyDMNrules could not load the model: %s: %s" % (type(error).__name__, error)
            ) from None
        if status and status.get("errors"):
            raise ModelLoadError("pyDMNrules could not load the model: " + " | ".join(map(str, status["errors"]))[:500])
        self._orders = {}

    def _required_order(self, target):
        if target not in self._orders:
            by_id = {d.id: d for d in self._definitions.decisions}
            by_name = {d.name: d for d in self._definitions.decisions}
            order, seen = [], set()

            def visit(decision):
                if decision.name in seen:
                    return
                seen.add(decision.name)
                for required in decision.required_decisions:
                    if required in by_id:
                        visit(by_id[required])
                order.append(decision.name)

            if target in by_name:
                visit(by_name[target])
            self._orders[target] = order
        return self._orders[target]

    def _flatten(self, inputs):
        data = {}
        glossary = getattr(self._engine, "glossary", {}) or {}

        def put(name, value):
            if name in glossary or not isinstance(value, dict):
                data[name] = _to_engine(value)
                return
            for key, item in value.items():
                put(name + "." + key, item)

        for name, value in inputs.items():
            put(name, value)
        return data

    def evaluate(self, inputs, decision=None):
        names = self._decision_names if decision is None else [decision]
        if decision is not None and decision not in self._decision_names:
            raise EvaluationError("the model has no decision named %r" % decision)
        data = self._flatten(inputs)
        tables = [t for t in self._required_order(decision) if t in self._engine.decisionTables] if decision else []
        try:
            if decision is not None and decision in tables:
                status, new_data = self._engine.decideTables(data, tables)
            else:
                status, new_data = self._engine.decide(data)
        except Exception as error:  # noqa: BLE001
            raise EvaluationError("pyDMNrules failed: %s: %s" % (type(error).__name__, error), decision) from None
        # pyDMNrules reports "no rule matched" as an error; DMN says the table's value is null then
        errors = [e for e in (status or {}).get("errors", []) if "No rules matched" not in str(e)]
        if errors:
            raise EvaluationError("pyDMNrules failed: " + " | ".join(map(str, errors))[:500], decision)
        results = [
            d.get("Result")
            for d in (new_data if isinstance(new_data, list) else [new_data])
            if isinstance(d, dict) and isinstance(d.get("Result"), dict)
        ]
        output = {}
        for name in names:
            for result in reversed(results):
                try:
                    output[name] = _from_engine(_extract(result, name, name in self._single_output))
                    break
                except KeyError:
                    continue
            else:
                output[name] = None
        return output

    def evaluate_batch(self, frame):
        import pandas

        argument_names = [f.name for f in self.fields if f.field_type == "argument"]
        columns = [c for c in argument_names if c in frame.columns]
        rows = [
            self.evaluate({c: record[i] for i, c in enumerate(columns)})
            for record in frame[columns].itertuples(index=False, name=None)
        ]
        result_names = [f.name for f in self.fields if f.field_type == "result"]
        return pandas.DataFrame({n: [r.get(n) for r in rows] for n in result_names}, index=frame.index, dtype=object)


def _installed_version():
    try:
        from importlib.metadata import version

        return version("pyDMNrules")
    except Exception:  # noqa: BLE001
        return "unknown"
