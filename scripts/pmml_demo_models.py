"""Train small credit models on the demo data and export them to PMML with sklearn2pmml.

Used by the differential tests and the benchmark; run directly to write the PMML files:
    python scripts/pmml_demo_models.py OUT_DIR
"""

import sys
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
CATEGORICAL = ["term", "sub_grade", "addr_state", "verification_status", "emp_length"]
TARGET = "Class"
KINDS = ("logistic", "tree", "forest", "lightgbm", "xgboost")


def demo_data():
    for candidate in (
        REPO / "demo" / "data" / "lending_club_modeldata.csv",
        REPO.parent / "shared" / "data" / "lending_club_modeldata.csv",
    ):
        if candidate.exists():
            return pd.read_csv(candidate)
    raise FileNotFoundError("lending_club_modeldata.csv not found in demo/data or ../shared/data")


def numeric_columns(frame):
    return [c for c in frame.columns if c not in CATEGORICAL and c != TARGET]


def with_missing_values(frame, fraction=0.05, seed=7):
    """A copy with a share of cells blanked in every argument column, to exercise missing handling."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    for column in out.columns:
        if column == TARGET:
            continue
        mask = rng.random(len(out)) < fraction
        out[column] = out[column].astype(object if column in CATEGORICAL else float)
        # NaN, not None: scikit-learn imputers do not see None in an object column as missing.
        out.loc[mask, column] = np.nan
    return out


def build_pipeline(kind, frame):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder
    from sklearn2pmml.pipeline import PMMLPipeline

    numeric = numeric_columns(frame)
    if kind == "logistic":
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        mapper = ColumnTransformer(
            [
                (
                    "categorical",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="most_frequent")),
                            ("onehot", OneHotEncoder(handle_unknown="ignore")),
                        ]
                    ),
                    CATEGORICAL,
                ),
                (
                    "numeric",
                    Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                    numeric,
                ),
            ]
        )
        return PMMLPipeline([("mapper", mapper), ("classifier", LogisticRegression(max_iter=2000))])
    if kind in ("tree", "forest"):
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.tree import DecisionTreeClassifier

        mapper = ColumnTransformer(
            [
                (
                    "categorical",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="most_frequent")),
                            ("onehot", OneHotEncoder(handle_unknown="ignore")),
                        ]
                    ),
                    CATEGORICAL,
                ),
                ("numeric", SimpleImputer(strategy="median"), numeric),
            ]
        )
        classifier = (
            DecisionTreeClassifier(max_depth=8, min_samples_leaf=20, random_state=1)
            if kind == "tree"
            else RandomForestClassifier(n_estimators=30, max_depth=8, min_samples_leaf=20, random_state=1, n_jobs=1)
        )
        return PMMLPipeline([("mapper", mapper), ("classifier", classifier)])
    if kind == "lightgbm":
        from lightgbm import LGBMClassifier
        from sklearn2pmml.preprocessing import PMMLLabelEncoder

        mapper = ColumnTransformer(
            [(column, PMMLLabelEncoder(), column) for column in CATEGORICAL] + [("numeric", "passthrough", numeric)]
        )
        classifier = LGBMClassifier(
            n_estimators=100, num_leaves=31, learning_rate=0.1, n_jobs=1, random_state=1, verbose=-1
        )
        return PMMLPipeline([("mapper", mapper), ("classifier", classifier)])
    if kind == "xgboost":
        from xgboost import XGBClassifier

        # Dense one-hot output: XGBoost reads the zeros of a sparse matrix as missing values.
        mapper = ColumnTransformer(
            [
                # Imputed first: the PMML converter has no counterpart for a one-hot "NaN" category.
                (
                    "categorical",
                    Pipeline(
                        [
                            ("impute", SimpleImputer(strategy="most_frequent")),
                            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                        ]
                    ),
                    CATEGORICAL,
                ),
                ("numeric", "passthrough", numeric),
            ],
            sparse_threshold=0.0,
        )
        classifier = XGBClassifier(n_estimators=50, max_depth=4, learning_rate=0.2, n_jobs=1, random_state=1)
        return PMMLPipeline([("mapper", mapper), ("classifier", classifier)])
    raise ValueError(f"unknown model kind {kind!r}")


def fit_kwargs(kind, frame):
    if kind == "lightgbm":
        return {"classifier__categorical_feature": list(range(len(CATEGORICAL)))}
    return {}


def train(kind, frame=None):
    """Fit the pipeline for `kind` on (a copy of) the demo data; returns (pipeline, training frame)."""
    frame = demo_data() if frame is None else frame
    training = with_missing_values(frame, seed=11)
    if kind == "xgboost":
        # XGBoost's classifier wants 0/1 labels; "bad" is the event.
        labels = (training[TARGET] == "bad").astype(int)
    else:
        labels = training[TARGET]
    pipeline = build_pipeline(kind, training)
    features = training.drop(columns=[TARGET])
    pipeline.fit(features, labels, **fit_kwargs(kind, training))
    if kind in ("tree", "forest"):
        # The JPMML tree compactor rejects the nodes of scikit-learn >= 1.3 trees.
        pipeline.configure(compact=False)
    return pipeline, training


def export(pipeline, path):
    from sklearn2pmml import sklearn2pmml

    sklearn2pmml(pipeline, str(path))
    return path


def main(out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for kind in KINDS:
        pipeline, _ = train(kind)
        export(pipeline, out / f"{kind}.pmml")
        print("wrote", out / f"{kind}.pmml")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "test-artifacts/pmml")


SCORECARD_CHARACTERISTICS = [
    # (field, reason code, [(upper bound or None, points)], baseline); points fall as risk rises.
    ("int_rate", "RC_INTEREST_RATE", [(8.0, 60), (12.0, 45), (16.0, 30), (20.0, 15), (None, 0)], 40),
    ("annual_inc", "RC_INCOME", [(40000.0, 10), (60000.0, 20), (90000.0, 30), (None, 40)], 30),
    ("revol_util", "RC_REVOLVING_UTILISATION", [(30.0, 35), (60.0, 25), (80.0, 15), (None, 5)], 25),
    ("inq_last_6mths", "RC_RECENT_INQUIRIES", [(0.5, 30), (1.5, 20), (3.5, 10), (None, 0)], 20),
    ("delinq_2yrs", "RC_DELINQUENCY", [(0.5, 30), (1.5, 10), (None, 0)], 25),
]
SCORECARD_CATEGORICAL = [
    ("term", "RC_TERM", [("term_36", 25), ("term_60", 5)], 20),
    ("verification_status", "RC_VERIFICATION", [("Verified", 15), ("Source_Verified", 12), ("Not_Verified", 8)], 12),
]


def scorecard_pmml():
    """A points-based credit scorecard on the demo data's fields, with reason codes (pointsBelow)."""
    fields, schema, characteristics = [], [], []
    for name, code, bins, baseline in SCORECARD_CHARACTERISTICS:
        fields.append(f'<DataField name="{name}" optype="continuous" dataType="double"/>')
        schema.append(f'<MiningField name="{name}" missingValueTreatment="asIs"/>')
        attributes, low = [], None
        for high, points in bins:
            if high is None:
                predicate = f'<SimplePredicate field="{name}" operator="greaterOrEqual" value="{low}"/>'
            else:
                predicate = f'<SimplePredicate field="{name}" operator="lessThan" value="{high}"/>'
            attributes.append(f'<Attribute partialScore="{points}">{predicate}</Attribute>')
            low = high
        attributes.append(
            '<Attribute partialScore="0"><SimplePredicate field="%s" operator="isMissing"/></Attribute>' % name
        )
        characteristics.append(
            f'<Characteristic name="{name}_points" reasonCode="{code}" baselineScore="{baseline}">'
            + "".join(attributes)
            + "</Characteristic>"
        )
    for name, code, values, baseline in SCORECARD_CATEGORICAL:
        fields.append(
            f'<DataField name="{name}" optype="categorical" dataType="string">'
            + "".join(f'<Value value="{v}"/>' for v, _ in values)
            + "</DataField>"
        )
        schema.append(f'<MiningField name="{name}"/>')
        attributes = [
            f'<Attribute partialScore="{p}"><SimplePredicate field="{name}" operator="equal" value="{v}"/></Attribute>'
            for v, p in values
        ]
        attributes.append('<Attribute partialScore="0"><True/></Attribute>')
        characteristics.append(
            f'<Characteristic name="{name}_points" reasonCode="{code}" baselineScore="{baseline}">'
            + "".join(attributes)
            + "</Characteristic>"
        )
    outputs = ['<OutputField name="score" feature="predictedValue" dataType="double" optype="continuous"/>'] + [
        f'<OutputField name="reason_code_{rank}" feature="reasonCode" rank="{rank}" dataType="string" '
        f'optype="categorical"/>'
        for rank in (1, 2, 3, 4)
    ]
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
<Header description="Creditbox demo scorecard"/>
<DataDictionary>{"".join(fields)}<DataField name="score" optype="continuous" dataType="double"/></DataDictionary>
<Scorecard functionName="regression" useReasonCodes="true" reasonCodeAlgorithm="pointsBelow" initialScore="300"
 baselineMethod="other">
<MiningSchema>{"".join(schema)}<MiningField name="score" usageType="target"/></MiningSchema>
<Output>{"".join(outputs)}</Output>
<Characteristics>{"".join(characteristics)}</Characteristics>
</Scorecard>
</PMML>
"""
