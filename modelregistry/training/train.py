"""Fit, cross-validate and export one model: `train(frame, target=..., bad_value=..., algorithm=...)`."""

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold

from . import metrics
from .scorecard import fit_scorecard, scorecard_pmml

ALGORITHMS = ("scorecard", "logistic", "random_forest", "lightgbm", "xgboost", "svm")
FOLDS = 5
SEED = 42
SVM_MAX_ROWS = 5000
OUT_OF_TIME_FRACTION = 0.2
# Columns that look like the lender's own pricing of the risk: an outcome of underwriting, not an input.
# The monthly payment is a pricing outcome; counts and balances of installment accounts are not.
PRICING_PATTERNS = (
    r"int(erest)?_?rate",
    r"sub_?grade",
    r"^grade$",
    r"^(monthly_?)?installment(_?amount)?$",
    r"\bapr\b",
)


class TrainingError(ValueError):
    """The data cannot train the asked-for model; the message says what to change."""

    def __init__(self, message, field="data"):
        super().__init__(message)
        self.field = field


@dataclass
class TrainedModel:
    algorithm: str
    pmml: str
    predict_bad_probability: Callable  # frame -> array, the fitted model itself (not its PMML)
    features: list
    numeric: list
    categorical: list
    metrics: dict
    parameters: dict
    warnings: list = field(default_factory=list)
    scorecard: object = None
    bad_output: str = ""

    def card(self, *, data_summary) -> dict:
        card = {
            "algorithm": self.algorithm,
            "features": self.features,
            "numericFeatures": self.numeric,
            "categoricalFeatures": self.categorical,
            "parameters": self.parameters,
            "metrics": self.metrics,
            "data": data_summary,
            "warnings": self.warnings,
            "probabilityOutput": self.bad_output,
        }
        if self.scorecard is not None:
            card["scorecard"] = {
                "offset": self.scorecard.offset,
                "factor": self.scorecard.factor,
                "intercept": self.scorecard.intercept,
                "bins": self.scorecard.table(),
                "informationValues": {c.name: c.information_value for c in self.scorecard.characteristics},
            }
        return card


def pricing_columns(columns) -> list:
    return [c for c in columns if any(re.search(p, c, re.IGNORECASE) for p in PRICING_PATTERNS)]


def feature_kinds(frame, features):
    numeric = [
        c for c in features if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    categorical = [c for c in features if c not in numeric]
    return numeric, categorical


def prepare(frame, features):
    """Numbers as float64, everything else as str objects with missing values kept missing."""
    numeric, categorical = feature_kinds(frame, features)
    x = pd.DataFrame(index=frame.index)
    for c in features:
        if c in numeric:
            x[c] = frame[c].astype("float64")
        else:
            x[c] = frame[c].astype(object).where(frame[c].notna(), None).map(lambda v: v if v is None else str(v))
    return x, numeric, categorical


def train(
    frame: pd.DataFrame,
    *,
    target: str,
    bad_value,
    algorithm: str,
    features=None,
    date_column=None,
    model_name="model",
    source_names=None,
    svm_max_rows=SVM_MAX_ROWS,
    folds=FOLDS,
    seed=SEED,
    scorecard_options=None,
    pricing_source_names=None,
    progress=None,
) -> TrainedModel:
    """Fit `algorithm` on `frame` (columns named as the model's fields) and cross-validate it.

    `bad_value`: the target's value meaning a bad loan (compared as text). Metrics are out-of-fold
    (stratified `folds`-fold) and, with `date_column`, also on the latest 20% of loans by date
    after training on the earlier 80% (out of time). The returned PMML is fitted on all rows.
    `progress(fraction, stage)`, when given, is called before each fit and before the export.
    """
    report = progress or (lambda fraction, stage: None)
    steps = folds + (1 if date_column else 0) + 2
    done = 0
    if algorithm not in ALGORITHMS:
        raise TrainingError(f"Unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}.", "algorithm")
    if target not in frame.columns:
        raise TrainingError(f"The data has no column {target!r}.", "target")
    labels = frame[target].astype(str)
    is_bad = (labels == str(bad_value)).to_numpy(dtype=int)
    if is_bad.sum() < folds or (1 - is_bad).sum() < folds:
        raise TrainingError(
            f"The target {target!r} needs at least {folds} bad ({bad_value!r}) and {folds} good rows.", "badValue"
        )
    features = [c for c in (features or frame.columns) if c not in (target, date_column)]
    if not features:
        raise TrainingError("No columns are left to train on.")
    frame = frame.reset_index(drop=True)
    is_bad_all = is_bad
    warnings = []
    sample_note = None
    if algorithm == "svm" and len(frame) > svm_max_rows:
        rng = np.random.RandomState(seed)
        keep = np.sort(_stratified_sample(is_bad, svm_max_rows, rng))
        frame, is_bad = frame.iloc[keep].reset_index(drop=True), is_bad[keep]
        sample_note = f"SVM trained on a stratified sample of {svm_max_rows:,} of {len(is_bad_all):,} rows."
        warnings.append(sample_note)
    x, numeric, categorical = prepare(frame, features)
    pricing = pricing_columns(pricing_source_names or features)
    if pricing:
        warnings.append(
            "Columns that look like pricing outcomes (the lender's own risk pricing, decided after "
            f"scoring): {', '.join(pricing)}. A model using them learns the old pricing, not the risk."
        )
    fitter = _FITTERS[algorithm]
    bad_label, good_label = str(bad_value), _good_label(labels, str(bad_value))
    names = (bad_label, good_label)
    options = dict(scorecard_options or {})

    # cross-validation: out-of-fold probabilities
    out_of_fold = np.zeros(len(x))
    fold_aucs = []
    for fold, (train_index, test_index) in enumerate(
        StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, is_bad), start=1
    ):
        report(done / steps, f"cross-validation: fold {fold} of {folds}")
        done += 1
        fitted = fitter(x.iloc[train_index], is_bad[train_index], numeric, categorical, seed, options, names)
        out_of_fold[test_index] = fitted.predict(x.iloc[test_index])
        fold_aucs.append(metrics.summary(is_bad[test_index], out_of_fold[test_index])["auc"])
    result_metrics = {
        "crossValidation": {
            **metrics.summary(is_bad, out_of_fold),
            "folds": folds,
            "foldAuc": fold_aucs,
            "meanFoldAuc": float(np.mean(fold_aucs)),
            "calibration": metrics.calibration_table(is_bad, out_of_fold),
        }
    }
    if date_column:
        if date_column not in frame.columns:
            raise TrainingError(f"The data has no date column {date_column!r}.", "dateColumn")
        dates = pd.to_datetime(frame[date_column], errors="coerce")
        if dates.isna().any():
            raise TrainingError(f"Some values of {date_column!r} are not dates.", "dateColumn")
        order = np.argsort(dates.to_numpy(), kind="stable")
        cut = int(len(order) * (1 - OUT_OF_TIME_FRACTION))
        early, late = order[:cut], order[cut:]
        if len(set(is_bad[late])) < 2 or len(set(is_bad[early])) < 2:
            raise TrainingError("The out-of-time part has only goods or only bads.", "dateColumn")
        report(done / steps, "out-of-time check")
        done += 1
        fitted = fitter(x.iloc[early], is_bad[early], numeric, categorical, seed, options, names)
        late_probability = fitted.predict(x.iloc[late])
        result_metrics["outOfTime"] = {
            **metrics.summary(is_bad[late], late_probability),
            "trainedUntil": str(dates.iloc[early].max().date()),
            "testedFrom": str(dates.iloc[late].min().date()),
            "calibration": metrics.calibration_table(is_bad[late], late_probability),
        }

    report(done / steps, "fitting on all rows")
    done += 1
    final = fitter(x, is_bad, numeric, categorical, seed, options, names)
    report(done / steps, "exporting PMML")
    pmml = final.export(model_name=model_name, target=target, bad_value=bad_label, good_value=good_label)
    if getattr(final, "export_difference", 0) > 1e-9:
        warnings.append(
            f"The exported SVM's decision values differ from the fitted model's by up to "
            f"{final.export_difference:.3g} on the first rows (a known gap of the SVM export)."
        )
    parameters = {**final.parameters, "folds": folds, "seed": seed}
    if sample_note:
        parameters["svmMaxRows"] = svm_max_rows
    return TrainedModel(
        algorithm=algorithm,
        pmml=pmml,
        predict_bad_probability=lambda f: final.predict(prepare(f, features)[0]),
        features=features,
        numeric=numeric,
        categorical=categorical,
        metrics=result_metrics,
        parameters=parameters,
        warnings=warnings,
        scorecard=getattr(final, "scorecard", None),
        bad_output=getattr(final, "output", f"probability({bad_label})"),
    )


def _good_label(labels, bad):
    others = sorted(set(labels) - {bad})
    return "good" if "good" in others or not others else ("not " + bad if len(others) > 1 else others[0])


def _stratified_sample(is_bad, n, rng):
    chosen = []
    for value in (0, 1):
        rows = np.flatnonzero(is_bad == value)
        take = max(1, int(round(n * len(rows) / len(is_bad))))
        chosen.append(rng.choice(rows, size=min(take, len(rows)), replace=False))
    return np.concatenate(chosen)


# --------------------------------------------------------------------------- fitters


class _Scorecard:
    def __init__(self, x, is_bad, numeric, categorical, seed, options, names):
        self.scorecard = fit_scorecard(x, is_bad, numeric=numeric, categorical=categorical, seed=seed, **options)
        self.parameters = dict(self.scorecard.settings)
        self.parameters["characteristics"] = [c.name for c in self.scorecard.characteristics]

    def predict(self, x):
        return self.scorecard.predict_bad_probability(x)

    def export(self, *, model_name, target, bad_value, good_value):
        return scorecard_pmml(
            self.scorecard, model_name=model_name, target=target, bad_value=bad_value, good_value=good_value
        )


def _estimator(algorithm, seed):
    if algorithm == "logistic":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=0.1, max_iter=2000, random_state=seed), {"C": 0.1}, True
    if algorithm == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        params = {"n_estimators": 200, "max_depth": 8, "min_samples_leaf": 20}
        return RandomForestClassifier(**params, n_jobs=1, random_state=seed), params, False
    if algorithm == "lightgbm":
        from lightgbm import LGBMClassifier

        params = {
            "n_estimators": 200,
            "learning_rate": 0.03,
            "num_leaves": 8,
            "min_child_samples": 40,
            "subsample": 0.8,
            "subsample_freq": 1,
            "colsample_bytree": 0.8,
            "reg_lambda": 1.0,
        }
        return LGBMClassifier(**params, n_jobs=1, random_state=seed, verbose=-1), params, False
    if algorithm == "xgboost":
        from xgboost import XGBClassifier

        params = {
            "n_estimators": 200,
            "learning_rate": 0.03,
            "max_depth": 3,
            "min_child_weight": 5,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
        }
        return XGBClassifier(**params, n_jobs=1, random_state=seed, tree_method="hist"), params, False
    if algorithm == "svm":
        from sklearn.svm import SVC

        params = {
            "kernel": "rbf",
            "C": 1.0,
            "gamma": "scale",
            "calibration": "Platt: logistic regression on 3-fold cross-validated decision values",
        }
        return SVC(kernel="rbf", C=1.0, gamma="scale", random_state=seed), params, True
    raise TrainingError(f"Unknown algorithm {algorithm!r}.", "algorithm")


class _Pipeline:
    """impute (+ scale for linear models) numbers, impute + one-hot categories, then the classifier,
    as an sklearn2pmml PMMLPipeline so that the same object is fitted and exported."""

    def __init__(self, algorithm, x, is_bad, numeric, categorical, seed, options, names):
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
        from sklearn2pmml.decoration import CategoricalDomain, ContinuousDomain
        from sklearn2pmml.pipeline import PMMLPipeline

        estimator, params, scale = _estimator(algorithm, seed)
        parts = []
        if numeric:
            steps = [
                ("domain", ContinuousDomain(invalid_value_treatment="as_missing")),
                ("impute", SimpleImputer(strategy="median")),
            ]
            if scale:
                steps.append(("scale", StandardScaler()))
            parts.append(("numeric", Pipeline(steps), numeric))
        if categorical:
            parts.append(
                (
                    "categorical",
                    Pipeline(
                        [
                            ("domain", CategoricalDomain(invalid_value_treatment="as_missing")),
                            ("impute", SimpleImputer(strategy="most_frequent")),
                            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                        ]
                    ),
                    categorical,
                )
            )
        self.pipeline = PMMLPipeline([("preprocess", ColumnTransformer(parts)), ("classifier", estimator)])
        if algorithm == "xgboost":
            # XGBoost takes class labels 0..k-1 only: 1 is bad, and the PMML names it so
            labels, bad_label = pd.Series(is_bad.astype(int), name="target"), 1
        else:
            labels, bad_label = pd.Series(np.where(is_bad == 1, names[0], names[1]), name="target"), names[0]
        self.output = f"probability({bad_label})"
        self.pipeline.fit(x, labels)
        self.bad_column = list(self.pipeline.classes_).index(bad_label)
        self.parameters = {"estimator": type(estimator).__name__, **params}

    def predict(self, x):
        return self.pipeline.predict_proba(x)[:, self.bad_column]

    def export(self, *, model_name, target, bad_value, good_value):
        from sklearn2pmml import sklearn2pmml

        self.pipeline.target_fields = [target]
        handle, path = tempfile.mkstemp(suffix=".pmml")
        os.close(handle)
        try:
            sklearn2pmml(self.pipeline, path)
            with open(path, encoding="utf-8") as stream:
                text = stream.read()
        finally:
            os.unlink(path)
        text = re.sub(r"[ \t]*<Timestamp>[^<]*</Timestamp>\n", "", text)
        return text.replace(
            '<MiningModel functionName="classification"',
            f'<MiningModel modelName="{_attr(model_name)}" functionName="classification"',
            1,
        )


class _CalibratedSVM(_Pipeline):
    """An RBF SVM whose decision value is turned into a probability by a logistic regression fitted on
    cross-validated decision values (Platt scaling). sklearn2pmml exports the SVM; the PMML becomes a
    regression SVM (its value is the decision value) with the sigmoid as a transformed output."""

    def __init__(self, x, is_bad, numeric, categorical, seed, options, names):
        from sklearn.base import clone
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict

        super().__init__("svm", x, is_bad, numeric, categorical, seed, options, names)
        labels = pd.Series(np.where(is_bad == 1, names[0], names[1]), name="target")
        decision = cross_val_predict(
            clone(self.pipeline),
            x,
            labels,
            method="decision_function",
            cv=StratifiedKFold(3, shuffle=True, random_state=seed),
        )
        self.calibrator = LogisticRegression(C=1e6, max_iter=1000).fit(decision.reshape(-1, 1), is_bad)
        self.x_sample = x.head(20)

    def _decision(self, x):
        return self.pipeline.decision_function(x)

    def predict(self, x):
        return self.calibrator.predict_proba(self._decision(x).reshape(-1, 1))[:, 1]

    def export(self, *, model_name, target, bad_value, good_value):
        from modelregistry import pmml as pmml_engine

        text = super().export(model_name=model_name, target=target, bad_value=bad_value, good_value=good_value)
        text = re.sub(
            r'<SupportVectorMachineModel functionName="classification"([^>]*?) classificationMethod="[^"]*"',
            r'<SupportVectorMachineModel functionName="regression"\1',
            text,
            count=1,
        )
        text = re.sub(
            r'<SupportVectorMachine targetCategory="[^"]*" alternateTargetCategory="[^"]*">',
            "<SupportVectorMachine>",
            text,
            count=1,
        )
        text = re.sub(r'\s*<MiningField name="[^"]*" usageType="target"/>', "", text, count=1)
        text = re.sub(
            r'\s*<DataField name="%s" optype="categorical".*?</DataField>' % re.escape(target),
            "",
            text,
            count=1,
            flags=re.S,
        )
        # the PMML value is the decision value up to its sign: read the sign off the exported model
        raw = pmml_engine.load(text, engine="native").evaluate_batch(self.x_sample, include_target=True)
        value = raw.iloc[:, -1].to_numpy(dtype=float)
        decision = self._decision(self.x_sample)
        sign = 1.0 if np.dot(value, decision) > 0 else -1.0
        self.export_difference = float(np.max(np.abs(sign * value - decision)))
        a = float(self.calibrator.coef_[0][0]) * sign
        b = float(self.calibrator.intercept_[0])
        output = (
            f'<Output><OutputField name="decisionValue" optype="continuous" dataType="double" '
            f'feature="predictedValue"/><OutputField name="probability({_attr(bad_value)})" optype="continuous" '
            f'dataType="double" feature="transformedValue"><Apply function="/"><Constant dataType="double">1'
            f'</Constant><Apply function="+"><Constant dataType="double">1</Constant><Apply function="exp">'
            f'<Apply function="-"><Constant dataType="double">0</Constant><Apply function="+"><Apply '
            f'function="*"><Constant dataType="double">{a!r}</Constant><FieldRef field="decisionValue"/>'
            f'</Apply><Constant dataType="double">{b!r}</Constant></Apply></Apply></Apply></Apply></Apply>'
            f"</OutputField></Output>"
        )
        return text.replace("</MiningSchema>", "</MiningSchema>" + output, 1)


def _attr(value):
    return str(value).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _pipeline_fitter(algorithm):
    return lambda x, is_bad, numeric, categorical, seed, options, names: _Pipeline(
        algorithm, x, is_bad, numeric, categorical, seed, options, names
    )


_FITTERS = {
    "scorecard": _Scorecard,
    "svm": _CalibratedSVM,
    **{a: _pipeline_fitter(a) for a in ALGORITHMS if a not in ("scorecard", "svm")},
}
