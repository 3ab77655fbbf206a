"""Partner-scoped reads of rulesets, their versions, transitions and test cases."""

from django.db.models import QuerySet
from django.utils import timezone

from core.exceptions import ArgumentError, NotFound
from core.ids import parse_uuid
from modelregistry import engines
from modelregistry import selectors as registry_selectors
from modelregistry.arguments import is_compatible
from modelregistry.models import DataDictionaryField, FieldType

from .models import (
    Ruleset,
    RulesetTestCase,
    RulesetVersion,
    RulesetVersionStatus,
    RulesetVersionTransition,
)


def ruleset_list(*, partner, purpose=None, name=None) -> QuerySet:
    rulesets = Ruleset.objects.filter(partner=partner).select_related("created_by")
    if purpose is not None:
        rulesets = rulesets.filter(purpose=purpose)
    if name is not None:
        rulesets = rulesets.filter(name=name)
    return rulesets.order_by("name")


def ruleset_get(*, partner, ruleset_id) -> Ruleset:
    ruleset = Ruleset.objects.filter(partner=partner, pk=parse_uuid(ruleset_id)).first()
    if ruleset is None:
        raise NotFound(f"No ruleset {ruleset_id}.")
    return ruleset


def ruleset_version_list(*, partner, ruleset_id=None, status=None) -> QuerySet:
    versions = (
        RulesetVersion.objects.filter(ruleset__partner=partner)
        .select_related("ruleset", "author", "approver", "published_model")
        .defer("source_file")
    )
    if ruleset_id is not None:
        versions = versions.filter(ruleset_id=parse_uuid(ruleset_id))
    if status is not None:
        versions = versions.filter(status=status)
    return versions.order_by("ruleset__name", "-number")


def ruleset_version_get(*, partner, version_id) -> RulesetVersion:
    version = ruleset_version_list(partner=partner).filter(pk=parse_uuid(version_id)).first()
    if version is None:
        raise NotFound(f"No ruleset version {version_id}.")
    return version


def ruleset_version_effective(*, ruleset, at=None) -> RulesetVersion | None:
    """The version decisions use at `at` (default now): published, with the latest `effective_from` not after it.

    `effective_from` is authoritative; the displayed live state is not consulted.
    """
    at = at or timezone.now()
    return (
        RulesetVersion.objects.filter(ruleset=ruleset, status=RulesetVersionStatus.PUBLISHED, effective_from__lte=at)
        .select_related("published_model", "ruleset")
        .order_by("-effective_from", "-number")
        .first()
    )


def ruleset_version_latest(*, ruleset) -> RulesetVersion | None:
    return RulesetVersion.objects.filter(ruleset=ruleset).order_by("-number").first()


def ruleset_version_transitions(*, version) -> QuerySet:
    return RulesetVersionTransition.objects.filter(version=version).select_related("actor").order_by("created", "id")


def ruleset_test_case_list(*, partner, ruleset_id) -> QuerySet:
    ruleset = ruleset_get(partner=partner, ruleset_id=ruleset_id)
    return RulesetTestCase.objects.filter(ruleset=ruleset).order_by("name")


def ruleset_test_case_get(*, partner, test_case_id, ruleset_id=None) -> RulesetTestCase:
    cases = RulesetTestCase.objects.filter(ruleset__partner=partner, pk=parse_uuid(test_case_id)).select_related(
        "ruleset"
    )
    if ruleset_id is not None:
        cases = cases.filter(ruleset_id=parse_uuid(ruleset_id))
    case = cases.first()
    if case is None:
        raise NotFound(f"No test case {test_case_id}.")
    return case


def ruleset_version_imports(version) -> tuple:
    """The `engines.ImportedModel`s `version`'s DMN imports: a draft's resolved now in its partner's
    registry (ArgumentError on `dmnXml` naming a namespace not found), from review on those pinned
    when it was submitted."""
    if version.status != RulesetVersionStatus.DRAFT:
        return engines.imports_of(version.imports)
    return dmn_xml_imports(partner=version.ruleset.partner, dmn_xml=version.dmn_xml)


def dmn_xml_imports(*, partner, dmn_xml) -> tuple:
    """What the imports of `dmn_xml` resolve to now in `partner`'s registry (ArgumentError on `dmnXml`
    naming a namespace not found); () when it imports nothing."""
    namespace, imported_namespaces = engines.dmn_declared_imports(dmn_xml)
    if not imported_namespaces:
        return ()
    return tuple(
        registry_selectors.dmn_imports_resolve(
            partner=partner, namespace=namespace, imported_namespaces=imported_namespaces, field="dmnXml"
        )
    )


def ruleset_version_loaded(version, *, imports=None):
    """The compiled DMN of `version` (cached by sha256 and imports); ArgumentError on `dmnXml` when it does
    not load. `imports`: `ruleset_version_imports(version)` when the caller has it already."""
    if imports is None:
        imports = ruleset_version_imports(version)
    try:
        return engines.load(engine="dmn", artifact=version.dmn_xml, sha256=version.sha256, imports=imports)
    except engines.load_error_class("dmn") as error:
        location = getattr(error, "location", None)
        where = f" (at {location})" if location and str(location) not in str(error) else ""
        raise ArgumentError("dmnXml", f"The DMN does not load: {error}{where}") from None


def ruleset_version_field_mapping(*, version) -> list[dict]:
    """Each DMN input and result with the dictionary field it will be mapped to on publication.

    In order of precedence: the version's own `field_mapping`, the mapping of the ruleset's
    latest published version, a dictionary field of the same name (for an imported model's input,
    `prefix.name`, of the name without the prefix). Incompatible types and
    protected characteristics as arguments are never mapped. `supportedFieldName` is None where
    nothing maps.
    """
    loaded = ruleset_version_loaded(version)
    dictionary = {field.name: field for field in DataDictionaryField.objects.all()}
    previous = (
        RulesetVersion.objects.filter(ruleset_id=version.ruleset_id, published_model__isnull=False)
        .exclude(pk=version.pk)
        .select_related("published_model")
        .order_by("-number")
        .first()
    )
    previous_mapping = {}
    if previous is not None:
        previous_mapping = {
            (field.name, field.field_type): field.supported_field.name
            for field in previous.published_model.fields.select_related("supported_field")
            if field.supported_field_id
        }
    rows = []
    for spec in loaded.fields:
        explicit = (version.field_mapping or {}).get(spec.name)
        target_name = explicit or previous_mapping.get((spec.name, spec.field_type)) or spec.name
        if not explicit and target_name not in dictionary and "." in target_name:
            target_name = target_name.rsplit(".", 1)[-1]  # an imported model's input: `prefix.name`
        target = dictionary.get(target_name)
        problem = None
        if target is None:
            problem = (
                f"the data dictionary has no field {target_name!r}" if explicit else "no dictionary field of this name"
            )
        elif not is_compatible(spec.data_type, target.data_type, spec.field_type):
            problem = f"{spec.name!r} is a {spec.data_type}; {target.name!r} is a {target.data_type}"
            target = None
        elif target.protected and spec.field_type == FieldType.ARGUMENT:
            problem = f"{target.name!r} is a protected characteristic and is never a rule input"
            target = None
        rows.append(
            {
                "name": spec.name,
                "fieldType": spec.field_type,
                "dataType": spec.data_type,
                "supportedFieldName": target.name if target else None,
                "problem": problem if target is None else None,
            }
        )
    return rows
