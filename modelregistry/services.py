import hashlib
import io
import logging
import math
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from core.exceptions import ArgumentError, ArgumentErrors, Conflict, DomainError
from core.services import audit_event_record
from monitoring.models import DevelopmentSample as MonitoringSample
from monitoring.services import development_sample_score
from partners.models import Partner

from . import dictionary_csv, engines, selectors
from .arguments import is_compatible
from .models import (
    DataDictionaryField,
    DataType,
    DevelopmentSample,
    Engine,
    FieldType,
    ModelStatus,
    PredictiveModel,
    PredictiveModelField,
    SourceFormat,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def data_dictionary_field_create(*, name, data_type, actor=None, **attributes) -> DataDictionaryField:
    if DataDictionaryField.objects.filter(name=name).exists():
        raise ArgumentError("name", f"The dictionary has a field named {name!r} already.")
    field = DataDictionaryField(name=name, data_type=data_type, **attributes)
    _full_clean(field)
    field.save()
    audit_event_record(actor=actor, action="data_dictionary_field.create", obj=field, partner=None)
    return field


@transaction.atomic
def data_dictionary_field_update(*, field, actor, changed=()) -> DataDictionaryField:
    _full_clean(field)
    field.save()
    audit_event_record(
        actor=actor, action="data_dictionary_field.update", obj=field, partner=None, data={"changed": list(changed)}
    )
    return field


DESCRIPTIVE_COLUMNS = ("label", "description", "unit", "display_format", "value_labels")


@dataclass
class DictionaryImport:
    created: list
    updated: list
    unchanged: list


@transaction.atomic
def data_dictionary_import_csv(*, text, actor) -> DictionaryImport:
    """Add the entries of a CSV document to the platform-wide dictionary, all or none.

    Partner users (data scientists, admins) add entries; a row naming an existing entry must give
    the same type and leaves the entry as it is, so one partner cannot change what another's models
    rely on. Platform staff (no partner) may also change an existing entry's descriptive columns.
    Every row's problems are reported at once (field `rows/<n>/<column>`) and nothing is stored.
    """
    try:
        rows = dictionary_csv.read_rows(text)
    except ValueError as error:
        raise ArgumentError("file", str(error)) from None
    existing = {field.name: field for field in DataDictionaryField.objects.select_for_update()}
    errors, plans, seen = [], [], {}
    for number, row in rows:
        try:
            attributes = dictionary_csv.parse_cells(row)
        except ValueError as error:
            column, message = error.args
            errors.append(ArgumentError(("rows", str(number), column), message))
            continue
        name = attributes["name"]
        if name in seen:
            errors.append(ArgumentError(("rows", str(number), "name"), f"{name!r} is on row {seen[name]} already."))
            continue
        seen[name] = number
        current = existing.get(name)
        if current is None:
            candidate = DataDictionaryField(**attributes)
            try:
                candidate.full_clean()
            except ValidationError as error:
                for column, messages in _validation_messages(candidate, error).items():
                    column = column if column != "__all__" else "name"
                    errors.append(ArgumentError(("rows", str(number), column), " ".join(messages)))
                continue
            plans.append(("create", candidate))
        elif current.data_type != attributes["data_type"]:
            errors.append(
                ArgumentError(
                    ("rows", str(number), "data_type"),
                    f"{name!r} is a {current.data_type} entry of the dictionary; an entry's type never changes "
                    "(models rely on it). Choose another name for a different concept.",
                )
            )
        elif getattr(actor, "partner_id", None) is None and any(
            attributes[column] != getattr(current, column) for column in DESCRIPTIVE_COLUMNS
        ):
            for column in DESCRIPTIVE_COLUMNS:
                setattr(current, column, attributes[column])
            plans.append(("update", current))
        else:
            plans.append(("unchanged", current))
    if errors:
        raise ArgumentErrors(errors)
    result = DictionaryImport(created=[], updated=[], unchanged=[])
    partner = getattr(actor, "partner", None)
    for verb, field in plans:
        if verb == "unchanged":
            result.unchanged.append(field.name)
            continue
        field.save()
        (result.created if verb == "create" else result.updated).append(field.name)
        audit_event_record(
            actor=actor,
            action=f"data_dictionary_field.{verb}",
            obj=field,
            partner=partner,
            data={"source": "csv import"},
        )
    return result


def _validation_messages(instance, error) -> dict[str, list[str]]:
    """`error.message_dict`, with a choice that is not one of the field's choices naming them all."""
    problems = {}
    for column, column_errors in error.error_dict.items():
        messages = []
        for problem in column_errors:
            if problem.code == "invalid_choice" and column != "__all__":
                choices = [str(value) for value, _ in instance._meta.get_field(column).flatchoices]
                messages.append(f"{getattr(instance, column)!r} is not one of {', '.join(choices)}.")
            else:
                messages.extend(problem.messages)
        problems[column] = messages
    return problems


def _full_clean(instance):
    try:
        instance.full_clean()
    except ValidationError as error:
        problems = _validation_messages(instance, error)
        field, messages = next(iter(problems.items()))
        raise ArgumentError(field if field != "__all__" else "data", " ".join(messages)) from None


MAX_NAMESPACE_CHARS = PredictiveModel._meta.get_field("namespace").max_length


@dataclass
class PreparedArtifact:
    """An upload read and compiled, not stored: what the registry or a ruleset draft is made from."""

    engine: str
    artifact: str
    sha256: str
    loaded: object
    field: str  # the attribute an error about this upload names: "artifact" or "workbook"
    source: dict
    allow_reference_engine: bool = False
    namespace: str = ""  # DMN: the definitions' namespace, by which other models import this one
    imports: tuple = ()  # DMN: the engines.ImportedModel its imports resolved to


def artifact_prepare(
    *, name, artifact=None, workbook=None, source_name="", allow_reference_engine=False, partner=None, imports=None
) -> PreparedArtifact:
    """Read and compile `artifact` (PMML or DMN XML) or `workbook` (an Excel rule workbook, bytes).

    A workbook is converted to DMN XML; the XML is what is evaluated and the workbook is kept as
    uploaded. Nothing is stored: an invalid upload is refused with the engine's message (what is
    wrong and where).

    DMN imports: `imports` (engines.ImportedModel, pinned earlier) when given, else resolved by
    namespace in `partner`'s registry (selectors.dmn_imports_resolve); an import found in neither
    is refused naming its namespace.

    `allow_reference_engine` is the uploader's explicit choice to let the pypmml reference engine
    evaluate a PMML model the native engine cannot; it is stored on the version and audited.
    """
    name = (name or "").strip()
    if not name:
        raise ArgumentError("name", "A model needs a name.")
    if (artifact is None) == (workbook is None):
        raise ArgumentError("artifact", "Send either an artifact (PMML or DMN XML) or an Excel workbook, not both.")
    source = {"source_format": SourceFormat.XML, "source_name": (source_name or "")[:255]}
    if workbook is not None:
        if not isinstance(workbook, (bytes, bytearray)) or not workbook:
            raise ArgumentError("workbook", "The Excel workbook is empty.")
        workbook = bytes(workbook)
        artifact = engines.workbook_to_artifact(workbook, name=name)
        source.update(
            source_format=SourceFormat.XLSX, source_file=workbook, source_sha256=hashlib.sha256(workbook).hexdigest()
        )
    if not isinstance(artifact, str) or not artifact.strip():
        raise ArgumentError("artifact", "The artifact (PMML or DMN XML) is empty.")
    engine = engines.detect_engine(artifact)
    sha256 = engines.artifact_sha256(artifact)
    if workbook is None:
        source["source_sha256"] = sha256
    field = "workbook" if workbook is not None else "artifact"
    namespace = ""
    if engine == Engine.DMN:
        namespace, imported_namespaces = engines.dmn_declared_imports(artifact)
        if len(namespace) > MAX_NAMESPACE_CHARS:
            raise ArgumentError(field, f"The DMN model's namespace is longer than {MAX_NAMESPACE_CHARS:,} characters.")
        if imports is None and imported_namespaces and partner is not None:
            imports = selectors.dmn_imports_resolve(
                partner=partner, namespace=namespace, imported_namespaces=imported_namespaces, field=field
            )
    imports = tuple(imports or ())
    try:
        loaded = engines.load(
            engine=engine,
            artifact=artifact,
            sha256=sha256,
            allow_reference_engine=allow_reference_engine,
            imports=imports,
        )
    except engines.load_error_class(engine) as error:
        location = getattr(error, "location", None)
        where = f" (at {location})" if location and str(location) not in str(error) else ""
        what = "Excel workbook's rules are" if workbook is not None else f"{engine.upper()} artifact is"
        hint = ""
        if getattr(error, "needs_reference_engine", False):
            hint = (
                ". Register it with allowReferenceEngine set to true to have the pypmml reference engine evaluate it."
            )
        raise ArgumentError(field, f"The {what} not valid: {error}{where}{hint}") from None
    if not any(spec.field_type == FieldType.ARGUMENT for spec in loaded.fields):
        raise ArgumentError(field, "The model has no input fields.")
    return PreparedArtifact(
        engine=engine,
        artifact=artifact,
        sha256=sha256,
        loaded=loaded,
        field=field,
        source=source,
        allow_reference_engine=bool(allow_reference_engine),
        namespace=namespace,
        imports=imports,
    )


@transaction.atomic
def predictive_model_register(
    *,
    partner,
    name,
    created_by,
    artifact=None,
    workbook=None,
    source_name="",
    description="",
    allow_reference_engine=False,
    model_card=None,
    prepared=None,
) -> PredictiveModel:
    """Register a PMML `artifact` as the next version of the partner's model `name`.

    `model_card`: what training recorded about a model trained here (stored as given, JSON).
    `prepared`: the upload as `artifact_prepare` read and compiled it already (it is not compiled again).

    DMN rules (XML or an Excel workbook) are refused here: they reach decisions only as a ruleset
    version that a second person approved (rulesets.services.artifact_upload makes the draft;
    publishing it calls predictive_model_register_ruleset_version).
    """
    if prepared is None:
        prepared = artifact_prepare(
            name=name,
            artifact=artifact,
            workbook=workbook,
            source_name=source_name,
            allow_reference_engine=allow_reference_engine,
        )
    if prepared.engine == Engine.DMN:
        raise ArgumentError(
            prepared.field,
            "DMN rules reach decisions only through an approved ruleset version: upload them as a draft "
            "ruleset version, then have it approved and published.",
            code="draft_required",
        )
    return _register(
        partner=partner,
        name=name.strip(),
        created_by=created_by,
        prepared=prepared,
        description=description,
        model_card=model_card,
    )


@transaction.atomic
def predictive_model_register_ruleset_version(
    *,
    partner,
    name,
    artifact,
    created_by,
    ruleset_version_id,
    description="",
    source_format=SourceFormat.XML,
    source_name="",
    source_file=None,
    imports=(),
) -> PredictiveModel:
    """Register the DMN XML of an approved ruleset version being published (its only way in).

    `imports`: the version's pinned imports (records, as `ImportedModel.as_record`), resolved when it
    was submitted; each must still be an active model of the partner, else nothing is registered.
    """
    pinned = engines.imports_of(imports)
    if pinned:
        active = set(
            PredictiveModel.objects.filter(
                partner=partner, status=ModelStatus.ACTIVE, pk__in=[imported.model_id for imported in pinned]
            ).values_list("pk", flat=True)
        )
        gone = [
            f"{i.name} v{i.version} ({i.namespace})" for i in pinned if i.model_id not in {str(pk) for pk in active}
        ]
        if gone:
            raise Conflict(
                f"Models this version imports were retired since it was reviewed: {', '.join(gone)}. "
                "Reject it and submit it again to import the versions in force."
            )
    prepared = artifact_prepare(name=name, artifact=artifact, imports=pinned)
    if prepared.engine != Engine.DMN:
        raise ArgumentError("artifact", "A ruleset version is DMN XML.")
    prepared.source = {
        "source_format": source_format,
        "source_name": (source_name or "")[:255],
        "source_sha256": prepared.sha256,
    }
    if source_file is not None:
        source_file = bytes(source_file)
        prepared.source.update(source_file=source_file, source_sha256=hashlib.sha256(source_file).hexdigest())
    return _register(
        partner=partner,
        name=name.strip(),
        created_by=created_by,
        prepared=prepared,
        description=description,
        audit={"ruleset_version": str(ruleset_version_id)},
    )


def _register(*, partner, name, created_by, prepared, description, audit=None, model_card=None) -> PredictiveModel:
    # Serialise version numbering per partner: two uploads never get the same version.
    Partner.objects.select_for_update().filter(pk=partner.pk).first()
    latest = PredictiveModel.objects.filter(partner=partner, name=name).order_by("-version").first()
    loaded = prepared.loaded
    model = PredictiveModel.objects.create(
        partner=partner,
        name=name,
        version=(latest.version + 1) if latest else 1,
        engine=prepared.engine,
        artifact=prepared.artifact,
        sha256=prepared.sha256,
        description=description,
        warnings=list(getattr(loaded, "warnings", []) or []),
        allow_reference_engine=prepared.allow_reference_engine,
        namespace=prepared.namespace,
        imports=[imported.as_record() for imported in prepared.imports],
        model_card=model_card,
        created_by=created_by,
        **prepared.source,
    )
    dictionary = {field.name: field for field in DataDictionaryField.objects.all()}
    previous_mapping = _mapping_of(latest) if latest else {}
    fields = []
    for position, spec in enumerate(loaded.fields):
        field = PredictiveModelField(
            model=model,
            name=spec.name,
            field_type=spec.field_type,
            data_type=spec.data_type,
            allowed_values=list(spec.allowed_values) if spec.allowed_values else None,
            position=position,
        )
        field.supported_field = _automatic_mapping(field, dictionary, previous_mapping)
        fields.append(field)
    PredictiveModelField.objects.bulk_create(fields)
    unmapped_results = [
        field.name for field in fields if field.field_type == FieldType.RESULT and field.supported_field is None
    ]
    if unmapped_results:
        model.warnings = model.warnings + [
            f"Result {name!r} is not mapped onto the data dictionary: the API returns it under this raw name and "
            "lists it in `unmappedResults` until it is mapped (on the model's page, or PATCH …/fields/{id})."
            for name in unmapped_results
        ]
        PredictiveModel.objects.filter(pk=model.pk).update(warnings=model.warnings)
    audit_event_record(
        actor=created_by,
        action="predictive_model.register",
        obj=model,
        data={
            "engine": prepared.engine,
            "sha256": prepared.sha256,
            "version": model.version,
            "engine_name": loaded.engine_name,
            "warnings": model.warnings,
            "allow_reference_engine": model.allow_reference_engine,
            "source_format": model.source_format,
            "source_name": model.source_name,
            "source_sha256": model.source_sha256,
            "imports": model.imports,
            **(audit or {}),
        },
    )
    return model


def _mapping_of(model):
    return {
        (field.name, field.field_type): field.supported_field
        for field in model.fields.select_related("supported_field")
        if field.supported_field_id
    }


def _automatic_mapping(field, dictionary, previous_mapping):
    """Carry the previous version's mapping over, else map an exact dictionary name match.

    A protected dictionary field is never mapped automatically as an argument.
    """
    candidate = previous_mapping.get((field.name, field.field_type)) or dictionary.get(field.name)
    if candidate is None or not is_compatible(field.data_type, candidate.data_type, field.field_type):
        return None
    if candidate.protected and field.field_type == FieldType.ARGUMENT:
        return None
    return candidate


@transaction.atomic
def predictive_model_field_map(*, field, supported_field_name, actor, allow_protected=False):
    """Map `field` onto the dictionary field `supported_field_name` (None unmaps it)."""
    if supported_field_name is None:
        field.supported_field = None
        field.protected_use_allowed_by = None
    else:
        dictionary_field = DataDictionaryField.objects.filter(name=supported_field_name).first()
        if dictionary_field is None:
            raise ArgumentError("supportedFieldName", f"The data dictionary has no field {supported_field_name!r}.")
        if not is_compatible(field.data_type, dictionary_field.data_type, field.field_type):
            raise ArgumentError(
                "supportedFieldName",
                f"{field.name!r} is a {field.data_type} {field.field_type}; the dictionary field "
                f"{dictionary_field.name!r} is a {dictionary_field.data_type}.",
            )
        if dictionary_field.protected and field.field_type == FieldType.ARGUMENT and not allow_protected:
            raise ArgumentError(
                "supportedFieldName",
                f"{dictionary_field.name!r} is a protected characteristic; it may be a model argument "
                "only when that use is explicitly allowed (allowProtected).",
                code="protected",
            )
        taken = (
            field.model.fields.filter(field_type=field.field_type, supported_field=dictionary_field)
            .exclude(pk=field.pk)
            .first()
        )
        if taken is not None:
            raise ArgumentError("supportedFieldName", f"{dictionary_field.name!r} is mapped to {taken.name!r} already.")
        field.supported_field = dictionary_field
        field.protected_use_allowed_by = actor if dictionary_field.protected and allow_protected else None
    field.save(update_fields=["supported_field", "protected_use_allowed_by"])
    audit_event_record(
        actor=actor,
        action="predictive_model_field.map",
        obj=field,
        partner=field.model.partner,
        data={"field": field.name, "supported_field": supported_field_name, "allow_protected": allow_protected},
    )
    if field.field_type == FieldType.RESULT and field.supported_field is not None:
        _monitoring_development_sample(field=field, actor=actor)
    return field


def _monitoring_development_sample(*, field, actor):
    """A numeric result just mapped onto the dictionary (a score, a probability) of a version that keeps
    rows of its development data (trained here, or attached): record the monitoring dashboard's
    development sample from them, so PSI works without `record_development_sample`. A sample recorded
    already (at training, from all its rows, or by hand) is kept; a model the rows cannot be scored
    with keeps the mapping and gets no sample (the command can still record one)."""
    if field.supported_field.data_type not in (DataType.NUMBER, DataType.INTEGER):
        return
    model = field.model
    kept = DevelopmentSample.objects.filter(model=model).first()
    if kept is None or not kept.rows:
        return
    score_field = field.supported_field.name
    if MonitoringSample.objects.filter(model=model, score_field=score_field).exists():
        return
    # pandas is imported on first use: start-up paths stay light (see modelregistry/engines.py).
    import pandas as pd

    try:
        with transaction.atomic():
            development_sample_score(
                partner=model.partner,
                model=model,
                score_field=score_field,
                frame=pd.DataFrame(kept.rows),
                actor=actor,
                description=f"The {kept.row_count:,} development rows kept with {model.name} v{model.version}",
            )
    except DomainError as error:
        logger.warning("No monitoring development sample for %s (%s): %s", model, score_field, error)


@transaction.atomic
def predictive_model_describe(*, model, description, actor) -> PredictiveModel:
    """Change a registered version's description (the artifact never changes)."""
    model.description = description or ""
    model.save(update_fields=["description"])
    audit_event_record(actor=actor, action="predictive_model.describe", obj=model)
    return model


@transaction.atomic
def predictive_model_retire(*, model, actor) -> PredictiveModel:
    if model.status == ModelStatus.RETIRED:
        raise Conflict(f"{model} is retired already.")
    model.status = ModelStatus.RETIRED
    model.save(update_fields=["status"])
    audit_event_record(actor=actor, action="predictive_model.retire", obj=model)
    return model


# A development sample attached to an uploaded model: the CSV's size and the rows kept.
DEVELOPMENT_SAMPLE_MAX_BYTES = 20 * 1024 * 1024
DEVELOPMENT_SAMPLE_ROWS = 1000


@transaction.atomic
def development_sample_attach(*, partner, model_id, data: bytes, actor) -> DevelopmentSample:
    """Keep up to 1,000 random rows of a CSV of the data an uploaded PMML model was trained on, encrypted,
    as its development sample: a tree ensemble's TreeSHAP covers and its global importance.

    Columns are the model's arguments, by the artifact's names or their dictionary names; every
    argument must be there (extra columns are ignored). A version's sample never changes once kept
    (explanations already stored were computed with it). Raises ArgumentError naming `data`.
    """
    import pandas as pd  # on first use: start-up stays free of it

    model = selectors.predictive_model_get(partner=partner, model_id=model_id)
    if model.engine != Engine.PMML:
        raise ArgumentError("modelId", f"{model} is a DMN model; only PMML models take a development sample.")
    if DevelopmentSample.objects.filter(model=model).exists():
        raise ArgumentError("modelId", f"{model} has a development sample already; it never changes.")
    if not data or len(data) > DEVELOPMENT_SAMPLE_MAX_BYTES:
        raise ArgumentError("data", f"Send a CSV of 1 to {DEVELOPMENT_SAMPLE_MAX_BYTES:,} bytes.")
    try:
        frame = pd.read_csv(io.BytesIO(bytes(data)), dtype=str, keep_default_na=False)
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        raise ArgumentError("data", f"The CSV cannot be read: {error}") from None
    arguments = list(model.fields.filter(field_type="argument").select_related("supported_field"))
    columns, missing = {}, []
    for field in arguments:
        names = [field.name] + ([field.supported_field.name] if field.supported_field_id else [])
        found = next((name for name in names if name in frame.columns), None)
        if found is None:
            missing.append(field.name)
        else:
            columns[field] = found
    if missing:
        raise ArgumentError("data", f"The CSV has no column for the model's arguments {', '.join(missing)}.")
    if frame.empty:
        raise ArgumentError("data", "The CSV has no rows.")
    if len(frame) > DEVELOPMENT_SAMPLE_ROWS:
        frame = frame.sample(DEVELOPMENT_SAMPLE_ROWS, random_state=42).sort_index()
    rows = []
    for number, values in enumerate(frame.to_dict(orient="records"), start=2):
        row = {}
        for field, column in columns.items():
            text = values[column].strip()
            if text == "":
                row[field.name] = None
            elif field.data_type in ("number", "integer"):
                try:
                    row[field.name] = float(text)
                except ValueError:
                    raise ArgumentError(
                        "data", f"Row {number}, column {column!r}: {text[:40]!r} is not a number."
                    ) from None
                if not math.isfinite(row[field.name]):
                    raise ArgumentError("data", f"Row {number}, column {column!r}: not a finite number.")
            else:
                row[field.name] = text
        rows.append(row)
    sample = DevelopmentSample.objects.create(model=model, rows=rows, row_count=len(rows))
    audit_event_record(actor=actor, action="predictive_model.development_sample", obj=model, data={"rows": len(rows)})
    return sample
