import re

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.exceptions import ArgumentError, NotFound, ParameterError
from core.ids import parse_uuid
from partners import roles

from . import dictionary_csv, engines
from .models import (
    DataDictionaryField,
    Engine,
    ModelStatus,
    PredictiveModel,
    PredictiveModelField,
    SourceFormat,
    TrainingJob,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def predictive_model_list(*, partner, name=None, status=None, engine=None) -> QuerySet:
    models = PredictiveModel.objects.filter(partner=partner).select_related("created_by").defer("source_file")
    if name is not None:
        models = models.filter(name=name)
    if status is not None:
        models = models.filter(status=status)
    if engine is not None:
        models = models.filter(engine=engine)
    return models.order_by("name", "-version")


def predictive_model_get(*, partner, model_id) -> PredictiveModel:
    model = PredictiveModel.objects.filter(partner=partner, pk=parse_uuid(model_id)).first()
    if model is None:
        raise NotFound(f"No predictive model {model_id}.")
    return model


def predictive_model_source(*, model) -> tuple[bytes, str, str]:
    """(content, content type, file name) of what was uploaded for `model`, byte for byte."""
    stem = re.sub(r"[^\w.-]+", "_", f"{model.name}-v{model.version}").strip("_") or "model"
    if model.source_format == SourceFormat.XLSX:
        name = model.source_name or f"{stem}.xlsx"
        return bytes(model.source_file), XLSX_CONTENT_TYPE, re.sub(r'["\\\r\n]', "_", name)
    extension = "pmml" if model.engine == "pmml" else "dmn"
    name = model.source_name or f"{stem}.{extension}"
    return model.artifact.encode("utf-8"), "application/xml", re.sub(r'["\\\r\n]', "_", name)


EXPORT_FORMATS = ("dmn", "xlsx")


def predictive_model_export(*, model, export_format) -> tuple[bytes, str, str]:
    """(content, content type, file name) of a DMN model written out as normalised DMN XML
    (`dmn`) or as an Excel workbook in pyDMNrules' layout (`xlsx`); importing either gives the
    same tables and decisions."""
    if export_format not in EXPORT_FORMATS:
        raise ParameterError("format", f"Choose an export format: {', '.join(EXPORT_FORMATS)}.")
    if model.engine != "dmn":
        raise ParameterError("format", "Only DMN rule models can be exported; download a PMML model's source.")
    stem = re.sub(r"[^\w.-]+", "_", f"{model.name}-v{model.version}").strip("_") or "model"
    content = engines.dmn_export(model.artifact, export_format=export_format)
    if export_format == "xlsx":
        return content, XLSX_CONTENT_TYPE, f"{stem}.xlsx"
    return content.encode("utf-8"), "application/xml", f"{stem}.dmn"


def predictive_model_field_list(*, partner, model_id, field_type=None) -> QuerySet:
    model = predictive_model_get(partner=partner, model_id=model_id)
    fields = model.fields.select_related("supported_field")
    if field_type is not None:
        fields = fields.filter(field_type=field_type)
    return fields.order_by("field_type", "position")


def predictive_model_field_get(*, partner, field_id, model_id=None) -> PredictiveModelField:
    fields = PredictiveModelField.objects.select_related("model", "supported_field").filter(
        model__partner=partner, pk=parse_uuid(field_id)
    )
    if model_id is not None:
        fields = fields.filter(model_id=parse_uuid(model_id))
    field = fields.first()
    if field is None:
        raise NotFound(f"No predictive model field {field_id}.")
    return field


def data_dictionary_list() -> QuerySet:
    """The platform-wide vocabulary: every partner reads all of it."""
    return DataDictionaryField.objects.order_by("name")


def data_dictionary_csv() -> str:
    return dictionary_csv.write_rows(data_dictionary_list())


MAX_DMN_IMPORTS = 20  # an upload's imports are looked up one query each: bounded like every other input


def dmn_imports_resolve(*, partner, namespace, imported_namespaces, field="artifact", at=None) -> list:
    """The `engines.ImportedModel`s that the imports of a DMN model (its own `namespace`, and the
    `imported_namespaces` it declares: `engines.dmn_declared_imports`) resolve to in `partner`'s registry.

    An import is found by its namespace alone, among the partner's own active DMN models (never
    another partner's; a locationURI is never read): the version of that model in force at `at`
    (default now; a published ruleset version whose `effective_from` has passed). The models those
    import come with them, as they were pinned when registered, so the list is the whole closure.
    Raises ArgumentError on `field` naming the namespace when an import is not found, names models
    of two rulesets, or reaches a model in two versions.
    """
    imported_namespaces = list(dict.fromkeys(imported_namespaces))
    if len(imported_namespaces) > MAX_DMN_IMPORTS:
        raise ArgumentError(
            field, f"The model imports {len(imported_namespaces):,} namespaces; at most {MAX_DMN_IMPORTS} are taken."
        )
    max_length = PredictiveModel._meta.get_field("namespace").max_length
    for imported_namespace in imported_namespaces:
        if len(imported_namespace) > max_length:
            raise ArgumentError(
                field,
                f"The model imports a namespace longer than {max_length} characters ({imported_namespace[:80]}…); "
                "no registered model has one.",
                code="import_not_found",
            )
    at = at or timezone.now()
    pinned = {}

    def pin(imported, via):
        held = pinned.setdefault(imported.namespace, imported)
        if held.model_id != imported.model_id:
            raise ArgumentError(
                field,
                f"Namespace {imported.namespace} would be imported in two versions: {held.name} v{held.version} "
                f"and {imported.name} v{imported.version} (through {via}). Publish the importing models again so "
                "they import one version.",
                code="import_conflict",
            )

    for imported_namespace in imported_namespaces:
        if imported_namespace == namespace:
            raise ArgumentError(field, f"The model imports its own namespace {namespace}.", code="import_cycle")
        model = _dmn_model_in_force(partner=partner, namespace=imported_namespace, at=at, field=field)
        pin(
            engines.ImportedModel(
                namespace=imported_namespace,
                model_id=str(model.pk),
                name=model.name,
                version=model.version,
                sha256=model.sha256,
            ),
            via="this model",
        )
        for imported in engines.imports_of(model.imports):
            pin(imported, via=f"{model.name} v{model.version}")
    return list(pinned.values())


def _dmn_model_in_force(*, partner, namespace, at, field):
    candidates = (
        PredictiveModel.objects.filter(
            partner=partner, engine=Engine.DMN, status=ModelStatus.ACTIVE, namespace=namespace
        )
        .filter(
            Q(ruleset_version__isnull=True)
            | Q(ruleset_version__status="published", ruleset_version__effective_from__lte=at)
        )
        .order_by("name", F("ruleset_version__effective_from").desc(nulls_last=True), "-version")
        .only("pk", "name", "version", "sha256", "imports")
    )
    in_force = {}
    for model in candidates:
        in_force.setdefault(model.name, model)
    if not in_force:
        raise ArgumentError(
            field,
            f"The model imports namespace {namespace}, and none of the partner's published DMN models in force has "
            "that namespace: publish the imported model first (imports are found by namespace in the partner's "
            "registry; a locationURI is never followed).",
            code="import_not_found",
        )
    if len(in_force) > 1:
        raise ArgumentError(
            field,
            f"The model imports namespace {namespace}, which several of the partner's DMN models have "
            f"({', '.join(sorted(in_force))}); give each model a namespace of its own.",
            code="import_ambiguous",
        )
    return next(iter(in_force.values()))


# Who trains models on the training page (the model's authors who work with data).
TRAINERS = (roles.DATA_SCIENTIST, roles.PARTNER_ADMIN)


def training_job_list(*, partner) -> QuerySet:
    return TrainingJob.objects.filter(partner=partner).select_related("model", "created_by", "confirmed_by")


def training_job_get(*, partner, job_id) -> TrainingJob:
    pk = parse_uuid(job_id)
    job = training_job_list(partner=partner).filter(pk=pk).first() if pk else None
    if job is None:
        raise NotFound(f"No training job {job_id}.")
    return job
