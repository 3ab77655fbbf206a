"""RuleSetModel: SimpleRules (CompoundRules flattened) with firstHit, weightedSum or weightedMax."""

from ..errors import UnsupportedElement
from .expressions import compile_predicate, predicate_child
from .prediction import MISSING_PREDICTION, Prediction, row_env, stack_predictions
from .values import coerce


class RuleSetCore:
    def __init__(self, node, scope, function_name, target_type, categories):
        self.target_type = target_type
        rule_set = node.find("RuleSet")
        methods = [m.get("criterion") for m in rule_set.findall("RuleSelectionMethod")]
        self.criterion = methods[0] if methods else "firstHit"
        if self.criterion not in ("firstHit", "weightedSum", "weightedMax"):
            raise UnsupportedElement(f"RuleSelectionMethod {self.criterion!r}", rule_set.where())
        self.default_score = coerce(rule_set.get("defaultScore"), target_type) if rule_set.get("defaultScore") else None
        self.default_confidence = float(rule_set.get("defaultConfidence", "0"))
        self.rules = []
        self._flatten(rule_set, scope, [])
        found = list(dict.fromkeys(score for _, score, _, _, _ in self.rules))
        self.categories = list(categories) if categories else found

    def _flatten(self, parent, scope, conditions):
        for child in parent.children:
            if child.tag not in ("SimpleRule", "CompoundRule"):
                continue
            predicate = compile_predicate(predicate_child(child), scope)
            if child.tag == "CompoundRule":
                self._flatten(child, scope, conditions + [predicate])
                continue
            self.rules.append(
                (
                    conditions + [predicate],
                    coerce(child.get("score"), self.target_type),
                    float(child.get("weight", "1")),
                    float(child.get("confidence", "1")),
                    child.get("id"),
                )
            )
        return self.rules

    def predict_one(self, env):
        fired = []
        for predicates, score, weight, confidence, rule_id in self.rules:
            if all(p.scalar(env) is True for p in predicates):
                if self.criterion == "firstHit":
                    return Prediction(score, None, rule_id, confidences={score: confidence})
                fired.append((score, weight, confidence, rule_id))
        if not fired:
            if self.default_score is None:
                return MISSING_PREDICTION
            return Prediction(self.default_score, None, None, confidences={self.default_score: self.default_confidence})
        if self.criterion == "weightedMax":
            score, weight, confidence, rule_id = max(fired, key=lambda rule: rule[1])
            return Prediction(score, None, rule_id, confidences={score: confidence})
        totals = {}
        for score, weight, _, _ in fired:
            totals[score] = totals.get(score, 0.0) + weight
        best = max(totals, key=totals.get)
        return Prediction(best, None, None, confidences={c: t / len(self.rules) for c, t in totals.items()})

    def predict_many(self, env, n):
        return stack_predictions(
            [self.predict_one(row_env(env, i)) for i in range(n)], self.categories, self.target_type, n
        )
