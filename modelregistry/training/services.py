"""Training as a business verb: read the CSV, match its columns to the data dictionary, train,
and register the PMML through the registry's own upload door (`predictive_model_register`)."""

import hashlib
import io
from dataclasses import dataclass

import pandas as pd
from django.db import transaction

from core.exceptions import ArgumentError
from core.services import audit_event_record
from monitoring.services import development_sample_score

from .. import services as registry_services
from ..models import DataDictionaryField, DataType, FieldType
from . import ALGORITHMS, TrainingError, train
from .columns import match_columns, proposed_data_type
from .portfolio import BAD_VALUE, DATE_COLUMN, TARGET, portfolio_training_table

MAX_CSV_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 500
# Rows of the training data kept (encrypted) with the version: TreeSHAP's covers, global importance.
DEVELOPMENT_SAMPLE_ROWS = 1000
# Rows of the training data scored for the monitoring dashboard's score distribution (only bin counts are kept).
MONITORING_SAMPLE_ROWS = 50_000


@dataclass
class TrainingResult:
    model: object  # the registered PredictiveModel
    trained: object  # modelregistry.training.TrainedModel
    frame: pd.DataFrame  # the training data with the model's (dictionary) column names


def training_data_read(*, data: bytes) -> pd.DataFrame:
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ArgumentError("data", "The CSV is empty.")
    if len(data) > MAX_CSV_BYTES:
        raise ArgumentError("data", f"The CSV is {len(data):,} bytes; the limit is {MAX_CSV_BYTES:,}.")
    try:
        frame = pd.read_csv(io.BytesIO(bytes(data)))
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ArgumentError("data", f"The CSV cannot be read: {error}") from None
    if frame.shape[1] > MAX_COLUMNS:
        raise ArgumentError("data", f"The CSV has {frame.shape[1]} columns; the limit is {MAX_COLUMNS}.")
    if len(frame) < 50:
        raise ArgumentError("data", f"The CSV has {len(frame)} rows; training needs at least 50.")
    return frame


def training_columns_match(*, frame, target, date_column=None):
    """(matched, proposed, protected) for the CSV's feature columns, against the data dictionary.

    protected: columns matched to a protected dictionary entry; they are never model arguments.
    """
    dictionary = {field.name: field for field in DataDictionaryField.objects.all()}
    columns = [c for c in frame.columns if c not in (target, date_column)]
    matched, proposed = match_columns(columns, dictionary)
    protected = [c for c, name in matched.items() if dictionary[name].protected]
    return matched, proposed, protected


def model_train(
    *,
    partner,
    data: bytes,
    target,
    bad_value,
    algorithm,
    created_by,
    name=None,
    source_name="",
    date_column=None,
    accept_proposed_fields=False,
    svm_max_rows=None,
    sample_rows=None,
    scorecard_options=None,
    progress=None,
) -> TrainingResult:
    """Train `algorithm` on the CSV `data` and register it as the next version of `name`.

    Columns are matched to dictionary entries by name; a column without one is proposed as a new
    entry, created only when `accept_proposed_fields` says a person confirmed it (otherwise an
    ArgumentError lists the proposals and nothing is stored). Protected dictionary fields are left out.
    `sample_rows` trains on a random sample of that many rows (for quick runs). `progress(fraction,
    stage)` is called as training goes (modelregistry.training.train).

    Training runs outside any transaction (it takes minutes); the new dictionary entries, the
    registration and the audit events are written together in one transaction at the end.
    """
    if algorithm not in ALGORITHMS:
        raise ArgumentError("algorithm", f"Unknown algorithm {algorithm!r}; choose one of {', '.join(ALGORITHMS)}.")
    frame = training_data_read(data=data)
    if target not in frame.columns:
        raise ArgumentError(
            "target", f"The CSV has no column {target!r}; its columns are {', '.join(map(str, frame.columns))}."
        )
    if date_column and date_column not in frame.columns:
        raise ArgumentError("dateColumn", f"The CSV has no column {date_column!r}.")
    if sample_rows and len(frame) > sample_rows:
        frame = frame.sample(int(sample_rows), random_state=42).sort_index()
    matched, proposed, protected = training_columns_match(frame=frame, target=target, date_column=date_column)
    if proposed and not accept_proposed_fields:
        listing = ", ".join(
            f"{column} -> {new} ({proposed_data_type(frame[column])})" for column, new in proposed.items()
        )
        raise ArgumentError(
            "data",
            f"These columns have no data-dictionary entry; the proposed new entries are {listing}. "
            "Confirm them (acceptProposedFields / --accept-proposed-fields) or add the entries first.",
            code="proposed_fields",
        )
    renames = {**matched, **proposed}
    features = [renames[c] for c in frame.columns if c in renames and c not in protected]
    model_frame = frame.rename(columns=renames)
    name = (name or f"{algorithm}-{partner.slug}").strip()
    options = {}
    if svm_max_rows:
        options["svm_max_rows"] = svm_max_rows
    try:
        trained = train(
            model_frame,
            target=target,
            bad_value=bad_value,
            algorithm=algorithm,
            features=features,
            date_column=renames.get(date_column, date_column),
            model_name=name,
            scorecard_options=scorecard_options,
            pricing_source_names=[c for c in frame.columns if c in renames and c not in protected],
            progress=progress,
            **options,
        )
    except TrainingError as error:
        raise ArgumentError(error.field, str(error)) from None
    bad = frame[target].astype(str) == str(bad_value)
    summary = {
        "sourceName": source_name,
        "sha256": hashlib.sha256(bytes(data)).hexdigest(),
        "rows": int(len(frame)),
        "badRows": int(bad.sum()),
        "badRate": float(bad.mean()),
        "target": target,
        "badValue": str(bad_value),
        "dateColumn": date_column,
        "columnMapping": {c: renames[c] for c in frame.columns if c in renames},
        "proposedFieldsCreated": proposed,
        "excludedProtected": {c: matched[c] for c in protected},
        "columns": {renames.get(c, c): _describe(frame[c]) for c in frame.columns if c != target},
    }
    card = trained.card(data_summary=summary)
    if protected:
        card["warnings"].append("Left out as protected characteristics: " + ", ".join(protected) + ".")
    cv = trained.metrics["crossValidation"]
    with transaction.atomic():
        model = _register(
            partner=partner,
            name=name,
            created_by=created_by,
            trained=trained,
            card=card,
            source_name=source_name,
            frame=frame,
            proposed=proposed,
            protected=protected,
            algorithm=algorithm,
            summary=summary,
            cv=cv,
            model_frame=model_frame,
        )
    return TrainingResult(model=model, trained=trained, frame=model_frame)


def model_train_from_portfolio(
    *,
    partner,
    algorithm,
    created_by,
    name=None,
    max_rows=None,
    seasoning_days=None,
    sample_rows=None,
    svm_max_rows=None,
    progress=None,
) -> TrainingResult:
    """Train `algorithm` on the partner's loans with recorded outcomes (training/portfolio.py) and
    register it as `model_train` does: target `loan_outcome` (bad: delinquent or charged-off), the
    origination date as the out-of-time column, the columns already dictionary names."""
    table = portfolio_training_table(partner=partner, max_rows=max_rows, seasoning_days=seasoning_days)
    return model_train(
        partner=partner,
        data=table.csv_bytes(),
        target=TARGET,
        bad_value=BAD_VALUE,
        algorithm=algorithm,
        created_by=created_by,
        name=name,
        source_name=table.source_name,
        date_column=DATE_COLUMN,
        svm_max_rows=svm_max_rows,
        sample_rows=sample_rows,
        progress=progress,
    )


def _register(
    *,
    partner,
    name,
    created_by,
    trained,
    card,
    source_name,
    frame,
    proposed,
    protected,
    algorithm,
    summary,
    cv,
    model_frame,
):
    for column, new in proposed.items():
        registry_services.data_dictionary_field_create(
            name=new,
            data_type=proposed_data_type(frame[column]),
            actor=created_by,
            description=f"Proposed by training on {source_name or 'a CSV'} (column {column!r}); confirmed by "
            f"{getattr(created_by, 'username', None) or 'the trainer'}.",
        )
    model = registry_services.predictive_model_register(
        partner=partner,
        name=name,
        created_by=created_by,
        artifact=trained.pmml,
        source_name=source_name,
        description=(
            f"{algorithm} trained on {source_name or 'a CSV'} ({len(frame):,} rows): AUC {cv['auc']:.3f}, "
            f"KS {cv['ks']:.3f}, Gini {cv['gini']:.3f} ({cv['folds']}-fold CV)."
        ),
        model_card=card,
    )
    sample = development_sample_store(model=model, frame=model_frame, features=trained.features)
    monitored = monitoring_samples_record(
        partner=partner, model=model, frame=model_frame, features=trained.features, actor=created_by
    )
    audit_event_record(
        actor=created_by,
        action="predictive_model.train",
        obj=model,
        data={
            "algorithm": algorithm,
            "rows": len(frame),
            "data_sha256": summary["sha256"],
            "auc": cv["auc"],
            "ks": cv["ks"],
            "gini": cv["gini"],
            "proposed_fields": proposed,
            "excluded_protected": protected,
            "development_sample_rows": sample.row_count,
            "monitoring_development_samples": monitored,
        },
    )
    return model


def monitoring_samples_record(*, partner, model, frame, features, actor, rows=MONITORING_SAMPLE_ROWS) -> list:
    """For each numeric result of `model` mapped onto the dictionary (a score, a probability), record
    the monitoring dashboard's development sample (its distribution on the training data, for PSI),
    as `manage.py record_development_sample` would. Returns the dictionary names recorded.

    The results map at registration when the previous version's mapping carries over or a result is
    named as its entry; a result mapped later is recorded by hand (record_development_sample).
    """
    results = [
        field.supported_field.name
        for field in model.fields.select_related("supported_field")
        if field.field_type == FieldType.RESULT
        and field.supported_field
        and field.supported_field.data_type in (DataType.NUMBER, DataType.INTEGER)
    ]
    if not results:
        return []
    if len(frame) > rows:
        frame = frame.sample(rows, random_state=42).sort_index()
    frame = frame[list(features)]
    for score_field in results:
        development_sample_score(
            partner=partner,
            model=model,
            score_field=score_field,
            frame=frame,
            actor=actor,
            description=f"Training data of {model.name} v{model.version} ({len(frame):,} rows)",
        )
    return results


def development_sample_store(*, model, frame, features, rows=DEVELOPMENT_SAMPLE_ROWS):
    """Keep up to `rows` random rows of the model's arguments from `frame` with the version, encrypted."""
    from ..models import DevelopmentSample
    from .train import prepare

    if len(frame) > rows:
        frame = frame.sample(rows, random_state=42).sort_index()
    x = prepare(frame, list(features))[0]
    records = [
        {name: (None if isinstance(value, float) and value != value else value) for name, value in row.items()}
        for row in x.to_dict(orient="records")
    ]
    return DevelopmentSample.objects.create(model=model, rows=records, row_count=len(records))


def _describe(series: pd.Series) -> dict:
    info = {"missing": int(series.isna().sum())}
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        values = series.dropna()
        if len(values):
            info.update(type="numeric", min=float(values.min()), max=float(values.max()), mean=float(values.mean()))
    else:
        counts = series.astype(str).value_counts()
        info.update(
            type="categorical", categories=int(len(counts)), top={str(k): int(v) for k, v in counts.head(5).items()}
        )
    return info
