"""The one door from Django to the engines.

An artifact format maps to an engine package with no Django import; a loaded model is cached per
process by sha256, so compiling happens once. Packages are imported on first use: the reference
engines are slow to start (pyDMNrules ~13 s, pypmml a JVM) and must stay off start-up paths.
"""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings

from core import safe_xml
from core.exceptions import ArgumentError, ParameterError

PACKAGES = {"pmml": "modelregistry.pmml", "dmn": "rulesets.dmn"}

_cache = OrderedDict()
_cache_lock = threading.Lock()


def artifact_sha256(artifact: str) -> str:
    return hashlib.sha256(artifact.encode("utf-8")).hexdigest()


def detect_engine(artifact: str) -> str:
    """Tell PMML from DMN by the document's root element, read through the safe XML door.

    The engines read the whole document through the same door (limits, no DOCTYPE) before they
    build anything; this reads no further than the root's start tag.
    """
    try:
        root_tag = safe_xml.root_tag(artifact)
    except safe_xml.XMLRefused as error:
        raise ArgumentError("artifact", f"The artifact is refused: {error}.") from None
    local_name = root_tag.rsplit("}", 1)[-1]
    if local_name == "PMML":
        return "pmml"
    if local_name == "definitions":
        return "dmn"
    raise ArgumentError(
        "artifact",
        f"The artifact's root element is <{local_name}>; expected <PMML> (a PMML model) or "
        "<definitions> (a DMN model).",
    )


def workbook_to_artifact(workbook: bytes, *, name=None) -> str:
    """DMN XML for an Excel rule workbook (read by pyDMNrules, imported on first use: ~13 s).

    Raises ArgumentError on the `workbook` field with what is wrong and where (sheet, cell).
    """
    from rulesets.dmn import ModelLoadError
    from rulesets.dmn.excel import workbook_to_dmn

    try:
        return workbook_to_dmn(workbook, name=name)
    except ModelLoadError as error:
        raise ArgumentError("workbook", f"The Excel workbook cannot be used: {error}") from None


def dmn_export(artifact: str, *, export_format: str):
    """A DMN artifact written out again: normalised DMN XML (str) or an Excel workbook (bytes).

    Raises ParameterError on `format` when the model cannot be written that way (an Excel workbook
    holds decision tables only); the message names the decision.
    """
    from rulesets.dmn import ModelLoadError, read_model
    from rulesets.dmn.excel_export import definitions_to_workbook
    from rulesets.dmn.writer import definitions_to_xml

    definitions = read_model(artifact)
    if export_format == "dmn":
        return definitions_to_xml(definitions)
    try:
        return definitions_to_workbook(definitions)
    except ModelLoadError as error:
        raise ParameterError("format", str(error)) from None


def is_workbook(data) -> bool:
    from rulesets.dmn.excel import is_workbook as looks_like_workbook

    return looks_like_workbook(data)


def dmn_document(artifact: str):
    """(definitions, root element) of DMN XML as the engine's reader sees it, without compiling.

    For tools that read the tables themselves (the version diff). Raises the DMN ModelLoadError.
    """
    from rulesets.dmn.reader import parse_xml, read_definitions

    return read_definitions(artifact), parse_xml(artifact)


@dataclass(frozen=True)
class ImportedModel:
    """A registered DMN model another one imports, pinned by id and sha256.

    The caller finds it by namespace (the partner's own registry, `selectors.dmn_imports_resolve`);
    a locationURI is never read. Stored as `as_record()` on the importing model, its ruleset
    version and every evaluation, so replay loads exactly these versions.
    """

    namespace: str
    model_id: str
    name: str
    version: int
    sha256: str

    def as_record(self) -> dict:
        return {
            "namespace": self.namespace,
            "model": self.model_id,
            "name": self.name,
            "version": self.version,
            "sha256": self.sha256,
        }

    @classmethod
    def from_record(cls, record):
        return cls(
            namespace=record["namespace"],
            model_id=str(record["model"]),
            name=record.get("name", ""),
            version=record.get("version", 0),
            sha256=record["sha256"],
        )


def dmn_declared_imports(artifact: str):
    """(the model's own namespace, [namespaces it imports]) of DMN XML, without compiling.

    ("", []) when the document does not read: loading it reports what is wrong.
    """
    from rulesets.dmn import ModelLoadError
    from rulesets.dmn.reader import read_definitions

    try:
        definitions = read_definitions(artifact)
    except ModelLoadError:
        return "", []
    return definitions.namespace or "", [declared.namespace for declared in definitions.imports]


def dmn_import_resolver(imports):
    """`import_resolver(namespace)` for the DMN engine: the pinned models' artifacts, read in one
    query on first use (only when compiling, never on a cache hit), each checked against its sha256."""
    if not imports:
        return None
    from .models import PredictiveModel

    by_namespace = {imported.namespace: imported for imported in imports}
    sources = {}

    def resolve(namespace):
        imported = by_namespace.get(namespace)
        if imported is None:
            return None
        if not sources:
            rows = PredictiveModel.objects.filter(pk__in=[i.model_id for i in imports]).values_list(
                "pk", "artifact", "sha256"
            )
            sources.update((str(pk), (artifact, sha256)) for pk, artifact, sha256 in rows)
        artifact, sha256 = sources.get(imported.model_id, (None, None))
        if artifact is None or sha256 != imported.sha256 or artifact_sha256(artifact) != sha256:
            return None  # the engine then names the namespace it could not import
        return artifact

    return resolve


def engine_package(engine):
    try:
        return import_module(PACKAGES[engine])
    except KeyError:
        raise ArgumentError("engine", f"Unknown engine {engine!r}; use one of {', '.join(PACKAGES)}.") from None


def default_implementation(engine):
    return settings.CREDITBOX_ENGINE_IMPLEMENTATIONS.get(engine) or None


def load(*, engine, artifact, sha256=None, implementation=None, allow_reference_engine=False, imports=()):
    """The compiled model for `artifact`, from the per-process cache when it is there.

    `allow_reference_engine`: the model's own recorded choice (never a default) to let the reference
    engine evaluate what the native engine cannot compile. `imports`: the `ImportedModel`s a DMN
    artifact's imports resolve to (by namespace only; part of the cache key). Raises the package's
    ModelLoadError (a ValueError) when the artifact is invalid or imports a namespace not given.
    """
    implementation = implementation or default_implementation(engine)
    imports = tuple(sorted(imports or (), key=lambda imported: imported.namespace))
    key = (
        engine,
        implementation,
        bool(allow_reference_engine),
        sha256 or artifact_sha256(artifact),
        tuple((imported.namespace, imported.sha256) for imported in imports),
    )
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    options = {"fallback": bool(allow_reference_engine)}
    if engine == "dmn":
        options["import_resolver"] = dmn_import_resolver(imports)
    loaded = engine_package(engine).load(artifact, engine=implementation, **options)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > settings.CREDITBOX_ENGINE_CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def imports_of(records):
    """The `ImportedModel`s of stored pins (a model's, a ruleset version's or an evaluation's `imports`)."""
    return tuple(ImportedModel.from_record(record) for record in records or ())


def load_for(predictive_model):
    return load(
        engine=predictive_model.engine,
        artifact=predictive_model.artifact,
        sha256=predictive_model.sha256,
        allow_reference_engine=predictive_model.allow_reference_engine,
        imports=imports_of(predictive_model.imports),
    )


def load_error_class(engine):
    return engine_package(engine).ModelLoadError


_explainers = OrderedDict()


def explainer_for(predictive_model, loaded):
    """What explains `loaded` (the compiled `predictive_model`), built once per process; None when
    the engine or the model has no explanation (DMN, pypmml, a tree ensemble without a sample).

    A tree ensemble's covers come from the version's development sample, read (and decrypted) only
    for a tree ensemble and only when its explainer is first built.
    """
    make = getattr(loaded, "explainer", None)
    if make is None:
        return None
    key = (predictive_model.pk, loaded.sha256)
    with _cache_lock:
        if key in _explainers:
            _explainers.move_to_end(key)
            return _explainers[key]
    explainer = make(reference=lambda: development_frame(predictive_model))
    with _cache_lock:
        _explainers[key] = explainer
        while len(_explainers) > settings.CREDITBOX_ENGINE_CACHE_SIZE:
            _explainers.popitem(last=False)
    return explainer


def development_frame(predictive_model):
    """The version's development sample as a pandas frame of arguments, or None when none is stored."""
    from .models import DevelopmentSample

    sample = DevelopmentSample.objects.filter(model_id=predictive_model.pk).only("rows").first()
    if sample is None or not sample.rows:
        return None
    import pandas as pd

    return pd.DataFrame.from_records(sample.rows)


def evaluate_explained(predictive_model, loaded, record):
    """(results, explanation) of `record`, evaluated once; the explanation names the artifact's fields."""
    explainer = explainer_for(predictive_model, loaded)
    if explainer is None:
        return loaded.evaluate(record), None
    return loaded.evaluate_explained(record, explainer)
