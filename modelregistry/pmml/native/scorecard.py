"""Scorecard: partial scores, baselines and reason codes ranked by points lost, never repeated."""

import numpy as np

from ..errors import ModelLoadError
from .expressions import compile_expression, compile_predicate, expression_child, predicate_child
from .prediction import MISSING_PREDICTION, Prediction, row_env


class ScorecardCore:
    categories = None

    def __init__(self, node, scope, function_name, target_type, categories):
        self.target_type = target_type
        self.initial = float(node.get("initialScore", "0"))
        self.use_reason_codes = node.get("useReasonCodes", "true") == "true"
        self.points_below = node.get("reasonCodeAlgorithm", "pointsBelow") == "pointsBelow"
        default_baseline = node.get("baselineScore")
        characteristics = node.find("Characteristics")
        if characteristics is None:
            raise ModelLoadError("Scorecard has no Characteristics", node.where())
        self.characteristics = []
        self.names = []
        for characteristic in characteristics.findall("Characteristic"):
            self.names.append(characteristic.get("name") or f"characteristic{len(self.names) + 1}")
            baseline = characteristic.get("baselineScore", default_baseline)
            if self.use_reason_codes and baseline is None:
                raise ModelLoadError("a baselineScore is required when useReasonCodes is true", characteristic.where())
            attributes = []
            for attribute in characteristic.findall("Attribute"):
                predicate = predicate_child(attribute)
                if predicate is None:
                    raise ModelLoadError("Attribute has no predicate", attribute.where())
                complex_score = attribute.find("ComplexPartialScore")
                if complex_score is not None:
                    score = compile_expression(expression_child(complex_score), scope)
                elif attribute.get("partialScore") is not None:
                    score = float(attribute.get("partialScore"))
                else:
                    raise ModelLoadError("Attribute has no partialScore", attribute.where())
                code = attribute.get("reasonCode", characteristic.get("reasonCode"))
                if self.use_reason_codes and code is None:
                    raise ModelLoadError("Attribute has no reasonCode (nor its Characteristic)", attribute.where())
                attributes.append((compile_predicate(predicate, scope), score, code))
            self.characteristics.append((float(baseline) if baseline is not None else 0.0, attributes))

    def points_one(self, env):
        """Per characteristic: its name, the points this record scored, its baseline and reason code
        (of the attribute that matched); None for a characteristic no attribute matched."""
        rows = []
        for name, (baseline, attributes) in zip(self.names, self.characteristics):
            row = {"characteristic": name, "points": None, "baseline": baseline, "reasonCode": None}
            for predicate, score, code in attributes:
                if predicate.scalar(env) is True:
                    row["points"] = score if isinstance(score, float) else score.scalar(env)
                    row["reasonCode"] = code
                    break
            rows.append(row)
        return rows

    def predict_one(self, env):
        total = self.initial
        points_by_code = {}
        for baseline, attributes in self.characteristics:
            for predicate, score, code in attributes:
                if predicate.scalar(env) is True:
                    if not isinstance(score, float):
                        score = score.scalar(env)
                        if score is None:
                            return MISSING_PREDICTION
                    total += score
                    if self.use_reason_codes:
                        points = baseline - score if self.points_below else score - baseline
                        points_by_code[code] = points_by_code.get(code, 0.0) + points
                    break
            else:
                return MISSING_PREDICTION
        reason_codes = None
        if self.use_reason_codes:
            # Only characteristics that lost points give a reason; each code once, largest loss first.
            ranked = sorted(
                ((p, i, c) for i, (c, p) in enumerate(points_by_code.items()) if p > 0),
                key=lambda item: (-item[0], item[1]),
            )
            reason_codes = [code for _, _, code in ranked]
        return Prediction(total, None, None, reason_codes)

    def predict_many(self, env, n):
        if any(not isinstance(s, float) for _, a in self.characteristics for _, s, _ in a):
            from .prediction import stack_predictions

            return stack_predictions([self.predict_one(row_env(env, i)) for i in range(n)], None, "double", n)
        codes = list(dict.fromkeys(code for _, a in self.characteristics for _, _, code in a))
        code_index = {code: i for i, code in enumerate(codes)}
        total = np.full(n, self.initial)
        points = np.zeros((n, len(codes)))
        first_seen = np.full((n, len(codes)), len(self.characteristics))
        unmatched = np.zeros(n, dtype=bool)
        rows = np.arange(n)
        for position, (baseline, attributes) in enumerate(self.characteristics):
            pending = np.ones(n, dtype=bool)
            partial = np.zeros(n)
            chosen = np.zeros(n, dtype=np.intp)
            for predicate, score, code in attributes:
                hit = pending & (predicate.vector(env, n) == 1.0)
                partial[hit] = score
                chosen[hit] = code_index[code]
                pending &= ~hit
            unmatched |= pending
            total += partial
            if self.use_reason_codes:
                lost = baseline - partial if self.points_below else partial - baseline
                np.add.at(points, (rows, chosen), np.where(pending, 0.0, lost))
                first_seen[rows, chosen] = np.minimum(first_seen[rows, chosen], position)
        total[unmatched] = np.nan
        reasons = None
        if self.use_reason_codes:
            # Largest loss first, ties in characteristic order; codes that lost no points give no reason.
            order = np.lexsort((first_seen, -points), axis=1)
            ranked_points = np.take_along_axis(points, order, axis=1)
            names = np.array(codes, dtype=object)[order]
            names[(ranked_points <= 0) | unmatched[:, None]] = None
            reasons = [names[:, rank] for rank in range(len(codes))]
        return Prediction(total, None, None, reasons)
