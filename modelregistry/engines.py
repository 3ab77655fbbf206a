"""The one door from Django to the engines.

An artifact format maps to an engine package with no Django import; a loaded model is cached per
process by sha256, so compiling happens once. Packages are imported on first use: the reference
engines are slow to start (pyDMNrules ~13 s, pypmml a JVM) and must stay off start-up paths.
"""
import hashlib
import threading
import xml.etree.ElementTree as ElementTree
from collections import OrderedDict
from importlib import import_module

from django.conf import settings

from core.exceptions import ArgumentError

PACKAGES = {"pmml": "modelregistry.pmml", "dmn": "rulesets.dmn"}

_cache = OrderedDict()
_cache_lock = threading.Lock()


def artifact_sha256(artifact: str) -> str:
    return hashlib.sha256(artifact.encode("utf-8")).hexdigest()


def detect_engine(artifact: str) -> str:
    """Tell PMML from DMN by the document's root element."""
    try:
        root_tag = next(ElementTree.iterparse(_as_stream(artifact), events=("start",)))[1].tag
    except (ElementTree.ParseError, StopIteration) as error:
        raise ArgumentError("artifact", f"The artifact is not well-formed XML: {error}.") from None
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


def _as_stream(artifact):
    import io

    return io.BytesIO(artifact.encode("utf-8"))


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


def is_workbook(data) -> bool:
    from rulesets.dmn.excel import is_workbook as looks_like_workbook

    return looks_like_workbook(data)


def dmn_document(artifact: str):
    """(definitions, root element) of DMN XML as the engine's reader sees it, without compiling.

    For tools that read the tables themselves (the version diff). Raises the DMN ModelLoadError.
    """
    from rulesets.dmn.reader import parse_xml, read_definitions

    return read_definitions(artifact), parse_xml(artifact)


def engine_package(engine):
    try:
        return import_module(PACKAGES[engine])
    except KeyError:
        raise ArgumentError("engine", f"Unknown engine {engine!r}; use one of {', '.join(PACKAGES)}.") from None


def default_implementation(engine):
    return settings.CREDITBOX_ENGINE_IMPLEMENTATIONS.get(engine) or None


def load(*, engine, artifact, sha256=None, implementation=None):
    """The compiled model for `artifact`, from the per-process cache when it is there.

    Raises the package's ModelLoadError (a ValueError) when the artifact is invalid.
    """
    implementation = implementation or default_implementation(engine)
    key = (engine, implementation, sha256 or artifact_sha256(artifact))
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    loaded = engine_package(engine).load(artifact, engine=implementation)
    with _cache_lock:
        _cache[key] = loaded
        while len(_cache) > settings.CREDITBOX_ENGINE_CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def load_for(predictive_model):
    return load(engine=predictive_model.engine, artifact=predictive_model.artifact, sha256=predictive_model.sha256)


def load_error_class(engine):
    return engine_package(engine).ModelLoadError

