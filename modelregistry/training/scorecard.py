"""A points scorecard: optbinning's monotonic binning, logistic regression on weights of evidence,
points scaled by PDO / base score / base odds, and a PMML `Scorecard` with reason codes.

score = offset + factor * ln(odds of good to bad), factor = pdo / ln 2, offset = base_score - factor *
ln(base_odds). With the logistic regression logit(P(bad)) = b0 + sum_j b_j * woe_j, the points of bin
k of characteristic j are  -factor * (b_j * woe_jk + b0 / n) + offset / n,  so the total score gives
back the regression's probability exactly: P(bad) = 1 / (1 + exp((score - offset) / factor)).
Points are not rounded, so the PMML reproduces the fitted model's probabilities to rounding error.
"""

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

PMML_NS = "http://www.dmg.org/PMML-4_4"
MIN_INFORMATION_VALUE = 0.02
REASON_CODE_COUNT = 4


@dataclass
class Characteristic:
    name: str
    kind: str  # "numeric" or "categorical"
    splits: list  # numeric: cut points; categorical: list of lists of categories
    woe: list  # one per bin
    missing_woe: float
    information_value: float
    categories: list = field(default_factory=list)
    coefficient: float = 0.0
    points: list = field(default_factory=list)
    missing_points: float = 0.0

    def woe_of(self, column: pd.Series) -> np.ndarray:
        return self._lookup(column, np.asarray(self.woe, dtype=float), self.missing_woe)

    def points_of(self, column: pd.Series) -> np.ndarray:
        return self._lookup(column, np.asarray(self.points, dtype=float), self.missing_points)

    def _lookup(self, column, table, missing):
        result = np.full(len(column), float(missing))
        if self.kind == "numeric":
            values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
            known = ~np.isnan(values)
            result[known] = table[np.searchsorted(np.asarray(self.splits, dtype=float), values[known], side="right")]
        else:
            index = {category: number for number, group in enumerate(self.splits) for category in group}
            positions = column.map(index)
            known = positions.notna().to_numpy()
            result[known] = table[positions[known].astype(int).to_numpy()]
        return result

    @property
    def baseline(self) -> float:
        return max(self.points + [self.missing_points])


@dataclass
class Scorecard:
    characteristics: list
    intercept: float
    factor: float
    offset: float
    settings: dict

    def score_parts(self, frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({c.name: c.points_of(frame[c.name]) for c in self.characteristics}, index=frame.index)

    def score(self, frame):
        total = np.zeros(len(frame))
        for c in self.characteristics:  # the PMML's order of summation
            total = total + c.points_of(frame[c.name])
        return total

    def predict_bad_probability(self, frame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp((self.score(frame) - self.offset) / self.factor))

    def reason_codes(self, row: pd.Series, *, count=REASON_CODE_COUNT) -> list:
        """Characteristics ranked by points below their baseline (PMML pointsBelow), most lost first."""
        lost = []
        for position, c in enumerate(self.characteristics):
            points = c.points_of(pd.Series([row[c.name]]))[0]
            if c.baseline - points > 0:
                lost.append((-(c.baseline - points), position, c.name))
        return [name for _lost, _position, name in sorted(lost)][:count]

    def table(self) -> list:
        rows = []
        for c in self.characteristics:
            for number, points in enumerate(c.points):
                rows.append(
                    {"characteristic": c.name, "bin": _bin_label(c, number), "woe": c.woe[number], "points": points}
                )
            rows.append({"characteristic": c.name, "bin": "missing", "woe": c.missing_woe, "points": c.missing_points})
        return rows


def _bin_label(c, number):
    if c.kind == "categorical":
        return ", ".join(map(str, c.splits[number]))
    low = c.splits[number - 1] if number > 0 else None
    high = c.splits[number] if number < len(c.splits) else None
    if low is None:
        return f"< {high:g}" if high is not None else "all"
    return f">= {low:g}" + (f" and < {high:g}" if high is not None else "")


def bin_characteristic(name, column: pd.Series, is_bad: np.ndarray, *, numeric: bool) -> Characteristic:
    from optbinning import OptimalBinning

    if numeric:
        binning = OptimalBinning(name=name, dtype="numerical", monotonic_trend="auto_asc_desc", solver="cp")
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    else:
        binning = OptimalBinning(name=name, dtype="categorical", solver="cp")
        values = column.astype(object).to_numpy()
    binning.fit(values, is_bad)
    table = binning.binning_table.build()
    bins = table.drop(index="Totals", errors="ignore")
    labels = bins["Bin"].astype(str).tolist()
    if numeric:
        splits = [float(s) for s in binning.splits]
        categories = []
    else:
        splits = [sorted(str(v) for v in group) for group in binning.splits]
        categories = sorted({str(v) for v in column.dropna().unique()})
    n_bins = len(splits) + 1 if numeric else len(splits)
    woe = [float(w) for w in bins["WoE"].iloc[:n_bins]]
    missing_rows = [i for i, label in enumerate(labels) if label == "Missing"]
    missing_woe = float(bins["WoE"].iloc[missing_rows[0]]) if missing_rows else 0.0
    if not math.isfinite(missing_woe):
        missing_woe = 0.0
    iv = float(table.loc["Totals", "IV"]) if "Totals" in table.index else float(bins["IV"].sum())
    return Characteristic(
        name=name,
        kind="numeric" if numeric else "categorical",
        splits=splits,
        woe=woe,
        missing_woe=missing_woe,
        information_value=iv,
        categories=categories,
    )


def fit_scorecard(
    frame: pd.DataFrame,
    is_bad: np.ndarray,
    *,
    numeric,
    categorical,
    pdo=20.0,
    base_score=600.0,
    base_odds=50.0,
    min_information_value=MIN_INFORMATION_VALUE,
    c=1.0,
    seed=42,
) -> Scorecard:
    characteristics = []
    for name in list(numeric) + list(categorical):
        characteristic = bin_characteristic(name, frame[name], is_bad, numeric=name in numeric)
        if characteristic.information_value >= min_information_value and len(characteristic.woe) > 1:
            characteristics.append(characteristic)
    if not characteristics:
        from .train import TrainingError

        raise TrainingError(
            "No column separates goods from bads (information value below "
            f"{min_information_value}); there is nothing to build a scorecard from."
        )
    x = np.column_stack([ch.woe_of(frame[ch.name]) for ch in characteristics])
    regression = LogisticRegression(C=c, max_iter=2000, random_state=seed).fit(x, is_bad)
    factor = pdo / math.log(2)
    offset = base_score - factor * math.log(base_odds)
    b0 = float(regression.intercept_[0])
    n = len(characteristics)
    for ch, beta in zip(characteristics, regression.coef_[0]):
        ch.coefficient = float(beta)
        ch.points = [-factor * (ch.coefficient * w + b0 / n) + offset / n for w in ch.woe]
        ch.missing_points = -factor * (ch.coefficient * ch.missing_woe + b0 / n) + offset / n
    return Scorecard(
        characteristics=characteristics,
        intercept=b0,
        factor=factor,
        offset=offset,
        settings={
            "pdo": pdo,
            "baseScore": base_score,
            "baseOdds": base_odds,
            "C": c,
            "minInformationValue": min_information_value,
            "binning": "optbinning OptimalBinning, monotonic_trend=auto_asc_desc",
        },
    )


def scorecard_pmml(
    scorecard: Scorecard,
    *,
    model_name: str,
    target: str,
    bad_value: str,
    good_value: str,
    reason_codes=REASON_CODE_COUNT,
) -> str:
    """The scorecard as PMML 4.4: a `Scorecard` with pointsBelow reason codes (the characteristic's
    name is its reason code) and the probability of bad as a transformed output of the score."""
    ET.register_namespace("", PMML_NS)

    def q(tag):
        return f"{{{PMML_NS}}}{tag}"

    pmml = ET.Element(q("PMML"), {"version": "4.4"})
    header = ET.SubElement(
        pmml,
        q("Header"),
        {
            "description": (
                f"Credit scorecard trained by Creditbox: score = {scorecard.offset!r} + {scorecard.factor!r} * "
                f"ln(odds good:bad); {scorecard.settings['baseScore']:g} points at {scorecard.settings['baseOdds']:g}:1, "
                f"{scorecard.settings['pdo']:g} points to double the odds."
            )
        },
    )
    ET.SubElement(header, q("Application"), {"name": "Creditbox modelregistry.training", "version": "1"})
    dictionary = ET.SubElement(pmml, q("DataDictionary"))
    for ch in scorecard.characteristics:
        if ch.kind == "numeric":
            ET.SubElement(dictionary, q("DataField"), {"name": ch.name, "optype": "continuous", "dataType": "double"})
        else:
            data_field = ET.SubElement(
                dictionary, q("DataField"), {"name": ch.name, "optype": "categorical", "dataType": "string"}
            )
            for category in ch.categories:
                ET.SubElement(data_field, q("Value"), {"value": category})
    dictionary.set("numberOfFields", str(len(scorecard.characteristics)))
    model = ET.SubElement(
        pmml,
        q("Scorecard"),
        {
            "modelName": model_name,
            "functionName": "regression",
            "useReasonCodes": "true",
            "reasonCodeAlgorithm": "pointsBelow",
            "initialScore": "0",
            "baselineMethod": "max",
        },
    )
    schema = ET.SubElement(model, q("MiningSchema"))
    for ch in scorecard.characteristics:
        ET.SubElement(
            schema, q("MiningField"), {"name": ch.name, "usageType": "active", "invalidValueTreatment": "asMissing"}
        )
    output = ET.SubElement(model, q("Output"))
    ET.SubElement(
        output,
        q("OutputField"),
        {"name": "score", "optype": "continuous", "dataType": "double", "feature": "predictedValue"},
    )
    probability = ET.SubElement(
        output,
        q("OutputField"),
        {
            "name": f"probability({bad_value})",
            "optype": "continuous",
            "dataType": "double",
            "feature": "transformedValue",
        },
    )
    # 1 / (1 + exp((score - offset) / factor))
    top = ET.SubElement(probability, q("Apply"), {"function": "/"})
    ET.SubElement(top, q("Constant"), {"dataType": "double"}).text = "1"
    plus = ET.SubElement(top, q("Apply"), {"function": "+"})
    ET.SubElement(plus, q("Constant"), {"dataType": "double"}).text = "1"
    exp = ET.SubElement(plus, q("Apply"), {"function": "exp"})
    divide = ET.SubElement(exp, q("Apply"), {"function": "/"})
    minus = ET.SubElement(divide, q("Apply"), {"function": "-"})
    ET.SubElement(minus, q("FieldRef"), {"field": "score"})
    ET.SubElement(minus, q("Constant"), {"dataType": "double"}).text = repr(scorecard.offset)
    ET.SubElement(divide, q("Constant"), {"dataType": "double"}).text = repr(scorecard.factor)
    for rank in range(1, reason_codes + 1):
        ET.SubElement(
            output,
            q("OutputField"),
            {
                "name": f"reasonCode{rank}",
                "optype": "categorical",
                "dataType": "string",
                "feature": "reasonCode",
                "rank": str(rank),
            },
        )
    characteristics = ET.SubElement(model, q("Characteristics"))
    for ch in scorecard.characteristics:
        element = ET.SubElement(
            characteristics,
            q("Characteristic"),
            {"name": f"{ch.name}Points", "reasonCode": ch.name, "baselineScore": repr(ch.baseline)},
        )
        missing = ET.SubElement(element, q("Attribute"), {"partialScore": repr(ch.missing_points)})
        ET.SubElement(missing, q("SimplePredicate"), {"field": ch.name, "operator": "isMissing"})
        for number, points in enumerate(ch.points):
            attribute = ET.SubElement(element, q("Attribute"), {"partialScore": repr(points)})
            if ch.kind == "categorical":
                predicate = ET.SubElement(
                    attribute, q("SimpleSetPredicate"), {"field": ch.name, "booleanOperator": "isIn"}
                )
                array = ET.SubElement(predicate, q("Array"), {"type": "string", "n": str(len(ch.splits[number]))})
                array.text = " ".join(
                    '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in ch.splits[number]
                )
                continue
            tests = []
            if number > 0:
                tests.append({"field": ch.name, "operator": "greaterOrEqual", "value": repr(ch.splits[number - 1])})
            if number < len(ch.splits):
                tests.append({"field": ch.name, "operator": "lessThan", "value": repr(ch.splits[number])})
            if not tests:
                ET.SubElement(attribute, q("True"))
            elif len(tests) == 1:
                ET.SubElement(attribute, q("SimplePredicate"), tests[0])
            else:
                compound = ET.SubElement(attribute, q("CompoundPredicate"), {"booleanOperator": "and"})
                for test in tests:
                    ET.SubElement(compound, q("SimplePredicate"), test)
    ET.indent(pmml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(pmml, encoding="unicode") + "\n"
