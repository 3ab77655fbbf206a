"""Batch evaluation: decision tables whose tests are literal run column-wise with numpy masks.

A table is vectorised when every input is a plain name, every test is a literal comparison,
range or list, and every output is a constant; other decisions fall back to the compiled
single-record path row by row (same closures, so results cannot disagree).
"""

import numpy
import pandas
from pandas.api.types import infer_dtype

from .errors import EvaluationError
from .feel.limits import start_evaluation
from .feel.values import Decimal, equal
from .values import to_feel
from .visibility import alias_value

NUMBER_KINDS = "biuf"


class Column:
    """One input as numpy arrays: `values` (float64, or object for strings) and a `missing` mask."""

    __slots__ = ("kind", "values", "missing", "objects", "_codes")

    def __init__(self, kind, values, missing, objects):
        self.kind, self.values, self.missing, self.objects = kind, values, missing, objects
        self._codes = None

    def equal_mask(self, constant):
        """values == constant; strings are compared once as integer codes, not per row as objects."""
        if self.kind != "string":
            return self.values == constant
        if self._codes is None:
            codes, uniques = pandas.factorize(self.values)
            self._codes = codes, {value: code for code, value in enumerate(uniques)}
        codes, lookup = self._codes
        code = lookup.get(constant)
        return numpy.zeros(len(codes), bool) if code is None else codes == code


def column_of(series_values):
    """Column for a numpy array from a DataFrame or a previous decision; None when mixed types."""
    array = numpy.asarray(series_values)
    if array.dtype.kind == "b":
        return Column("boolean", array, numpy.zeros(len(array), bool), None)
    if array.dtype.kind in NUMBER_KINDS:
        values = array.astype(numpy.float64, copy=False)
        return Column("number", values, numpy.isnan(values), None)
    if array.dtype.kind != "O":
        return None
    missing = pandas.isna(array)  # None, NaN, NaT and pd.NA, in C
    present = array[~missing]
    inferred = infer_dtype(present, skipna=False)
    if inferred in ("string", "empty"):
        return Column("string", array, missing, array)
    if inferred == "boolean":
        return Column("boolean", numpy.where(missing, False, array).astype(bool), missing, array)
    kinds = {type(v) for v in present}
    if kinds <= {str}:
        return Column("string", array, missing, array)
    if kinds <= {bool}:
        return Column("boolean", numpy.where(missing, False, array).astype(bool), missing, array)
    if kinds <= {int, float, Decimal}:
        values = numpy.fromiter(
            (numpy.nan if m else float(v) for v, m in zip(array, missing)), numpy.float64, len(array)
        )
        return Column("number", values, missing, array)
    return None


CONSTANT_KINDS = {Decimal: "number", str: "string", bool: "boolean"}


def _interval_mask(column, interval):
    """(true mask, unknown mask) of one positive literal interval over a column."""
    kind = CONSTANT_KINDS.get(type(interval.low if interval.low is not None else interval.high))
    rows = len(column.missing)
    if kind != column.kind:
        return None
    if kind == "string" and not interval.is_point:
        return None
    values = column.values
    if interval.is_point:
        constant = interval.low
        constant = float(constant) if kind == "number" else constant
        true = column.equal_mask(constant) & ~column.missing
        return true, numpy.zeros(rows, bool)
    true = ~column.missing
    if interval.low is not None:
        low = float(interval.low)
        true &= (values >= low) if interval.low_included else (values > low)
    if interval.high is not None:
        high = float(interval.high)
        true &= (values <= high) if interval.high_included else (values < high)
    return true, column.missing.copy()  # an ordering test on null is unknown, not false


def test_mask(column, test):
    """Boolean mask of rows where a LiteralTest is True (the single-record rule semantics)."""
    rows = len(column.missing)
    if test.any:
        return numpy.ones(rows, bool)
    true, unknown = numpy.zeros(rows, bool), numpy.zeros(rows, bool)
    for interval in test.intervals:
        kind = CONSTANT_KINDS.get(type(interval.low if interval.low is not None else interval.high))
        if kind is None:
            return None
        if kind != column.kind:  # FEEL: comparing values of different types gives null
            unknown |= numpy.ones(rows, bool) if not interval.is_point else ~column.missing
            continue
        masks = _interval_mask(column, interval)
        if masks is None:
            return None
        true |= masks[0]
        unknown |= masks[1]
    if test.null_point:
        true |= column.missing
    if test.negated:
        return ~true & ~(unknown & ~true)
    return true


def table_masks(table, columns):
    """(rules x rows) match matrix, or None when a test or a column cannot be vectorised."""
    rows = len(next(iter(columns.values())).missing) if columns else 0
    matrix = numpy.ones((len(table.rules), rows), bool)
    for index, rule in enumerate(table.rules):
        for position, test in enumerate(rule.literal_tests):
            if test.any:
                continue
            column = columns.get(table.input_names[position])
            if column is None:
                return None
            mask = test_mask(column, test)
            if mask is None:
                return None
            matrix[index] &= mask
    return matrix


def _outputs_of(table, rule):
    if len(table.output_names) == 1:
        return rule.output_constants[0]
    return dict(zip(table.output_names, rule.output_constants))


def _object_array(values):
    array = numpy.empty(len(values), object)
    array[:] = values
    return array


def evaluate_table(table, columns, index_labels):
    """Object array of the table's value per row, or None to fall back to the row path."""
    if not table.vectorisable():
        return None
    matrix = table_masks(table, columns)
    if matrix is None:
        return None
    rows = matrix.shape[1]
    policy = table.hit_policy
    outputs = [_outputs_of(table, rule) for rule in table.rules]
    candidates = _object_array(outputs + [None])
    any_match = matrix.any(axis=0)
    if policy in ("F", "U", "A", "P"):
        if policy == "U" or policy == "A":
            counts = matrix.sum(axis=0)
            several = numpy.flatnonzero(counts > 1)
            if len(several) and policy == "U":
                row = several[0]
                numbers = [table.rules[i].number for i in numpy.flatnonzero(matrix[:, row])]
                raise EvaluationError(
                    "rules %s all match under hit policy UNIQUE (row %r)"
                    % (", ".join(map(str, numbers)), index_labels[row]),
                    "decision %r" % table.decision_name,
                )
            if len(several):
                identities = _output_identities(outputs)
                masked_low = numpy.where(matrix, identities[:, None], len(outputs)).min(axis=0)
                masked_high = numpy.where(matrix, identities[:, None], -1).max(axis=0)
                bad = numpy.flatnonzero(any_match & (masked_low != masked_high))
                if len(bad):
                    raise EvaluationError(
                        "rules match with different outputs under hit policy ANY (row %r)" % index_labels[bad[0]],
                        "decision %r" % table.decision_name,
                    )
            chosen = numpy.where(any_match, matrix.argmax(axis=0), len(outputs))
        elif policy == "F":
            chosen = numpy.where(any_match, matrix.argmax(axis=0), len(outputs))
        else:
            ranks = numpy.array([table._priority_key(o) for o in outputs], dtype=numpy.int64).reshape(len(outputs), -1)
            order = numpy.lexsort(ranks.T[::-1]) if len(outputs) else numpy.array([], int)
            position = numpy.empty(len(outputs), numpy.int64)
            position[order] = numpy.arange(len(outputs))
            masked = numpy.where(matrix, position[:, None], len(outputs))
            best = masked.min(axis=0)
            inverse = numpy.append(order, len(outputs))
            chosen = inverse[best]
        result = candidates[chosen]
        if len(table.output_names) > 1:
            result = _object_array([dict(v) if v is not None else None for v in result])
        return result
    if policy == "C" and table.aggregation == "COUNT":
        counts = matrix.sum(axis=0)
        unique, inverse = numpy.unique(counts, return_inverse=True)
        return _object_array([Decimal(int(u)) for u in unique])[inverse]
    if policy == "C" and table.aggregation == "SUM":
        return _sum_outputs(outputs, matrix, any_match)
    if policy == "C" and table.aggregation in ("MIN", "MAX"):
        if not all(type(o) is Decimal for o in outputs):
            return None
        values = numpy.array([float(o) for o in outputs])
        if table.aggregation == "MIN":
            chosen = numpy.where(matrix, values[:, None], numpy.inf).argmin(axis=0)
        else:
            chosen = numpy.where(matrix, values[:, None], -numpy.inf).argmax(axis=0)
        return _object_array(outputs + [None])[numpy.where(any_match, chosen, len(outputs))]
    # R, O and C without aggregation give a list per row. Rows that match the same rules get equal
    # lists, so each distinct set of matched rules is listed (and sorted) once; every row still
    # gets a list (and dicts) of its own.
    rule_count = matrix.shape[0]
    if rule_count < 63:  # each row's set of matched rules as one integer: a plain sort, not a sort of rows
        bits = numpy.arange(rule_count, dtype=numpy.int64)
        codes, inverse = numpy.unique((numpy.int64(1) << bits) @ matrix.astype(numpy.int64), return_inverse=True)
        patterns = ((codes[:, None] >> bits) & 1).astype(bool)
    else:
        patterns, inverse = numpy.unique(matrix.T, axis=0, return_inverse=True)
    templates = []
    for pattern in patterns:
        matched = [outputs[i] for i in numpy.flatnonzero(pattern)]
        if policy == "O":
            matched.sort(key=table._priority_key)
        templates.append(matched)
    result = numpy.empty(rows, object)
    if any(isinstance(output, dict) for output in outputs):
        for row, pattern in enumerate(inverse.reshape(-1).tolist()):
            result[row] = [dict(m) if isinstance(m, dict) else m for m in templates[pattern]]
    else:
        for row, pattern in enumerate(inverse.reshape(-1).tolist()):
            result[row] = list(templates[pattern])
    return result


def _output_identities(outputs):
    identities, seen = [], []
    for output in outputs:
        for number, known in enumerate(seen):
            if equal(known, output) is True:
                identities.append(number)
                break
        else:
            identities.append(len(seen))
            seen.append(output)
    return numpy.array(identities)


def _sum_outputs(outputs, matrix, any_match):
    """Exact decimal sums: points are scaled to integers, summed in int64, mapped back once."""
    if not all(type(o) is Decimal for o in outputs):
        return None
    exponent = min([o.as_tuple().exponent for o in outputs] + [0])
    scale = Decimal(1).scaleb(-exponent)
    scaled = [int(o * scale) for o in outputs]
    if sum(abs(s) for s in scaled) >= 2**62:
        return None
    totals = numpy.array(scaled, numpy.int64) @ matrix.astype(numpy.int64)
    unique, inverse = numpy.unique(totals, return_inverse=True)
    decimals = _object_array([Decimal(int(u)) / scale for u in unique])
    result = decimals[inverse]
    result[~any_match] = None
    return result


def evaluate_frame(model, frame):
    import pandas

    index_labels = frame.index  # row labels for error messages only: not copied to a list
    rows = len(frame)
    columns, raw = {}, {}
    for name in model._input_names:
        if name in frame.columns:
            raw[name] = frame[name].to_numpy()
        else:
            raw[name] = numpy.full(rows, None, object)
        columns[name] = column_of(raw[name])
    results = {}
    for name in model._all_order:
        table = model._tables.get(name)
        values = None
        table_columns = _with_aliases(model, name, columns, results)
        if table is not None and rows and all(table_columns.get(n) is not None for n in table.input_names if n):
            values = evaluate_table(table, table_columns, index_labels)
        if values is None:
            values = _row_by_row(model, name, raw, results, rows)
        results[name] = values
        raw[name] = values
        columns[name] = column_of(values) if rows else None
    result_names = [f.name for f in model.fields if f.field_type == "result"]
    return pandas.DataFrame({n: results[n] for n in result_names}, index=frame.index, dtype=object)


def _with_aliases(model, name, columns, results):
    """`columns` plus the output names of the decision tables `name` requires (see visibility)."""
    aliases = model._aliases.get(name)
    if not aliases:
        return columns
    local = dict(columns)
    for alias, (required, key) in aliases.items():
        local[alias] = column_of(_object_array([alias_value(value, key) for value in results[required]]))
    return local


def _row_by_row(model, name, raw, results, rows):
    names = list(raw)
    output = numpy.empty(rows, object)
    base = dict(model._knowledge_scope)
    for row in range(rows):
        start_evaluation()
        scope = dict(base)
        for column in names:
            value = raw[column][row]
            scope[column] = value if column in results else to_feel(value)
        output[row] = model._evaluate_decision(name, scope, None)
    return output


def evaluate_rows(model, frame):
    """The whole model per record (for models whose decisions need per-record work, such as imports)."""
    import pandas

    result_names = [f.name for f in model.fields if f.field_type == "result"]
    rows = [model.evaluate({name: value for name, value in record.items()}) for record in frame.to_dict("records")]
    return pandas.DataFrame({n: [row.get(n) for row in rows] for n in result_names}, index=frame.index, dtype=object)
