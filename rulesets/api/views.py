from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.exceptions import MalformedDocument
from core.api.filters import FilterParser
from core.api.pagination import LargePagePagination
from core.api.permissions import roles_required
from core.api.schema import meta_document
from core.exceptions import ArgumentError, ParameterError
from partners import roles
from rulesets import diff, selectors, services
from rulesets.models import Ruleset, RulesetTestCase, RulesetVersion, RulesetVersionStatus

from .serializers import (
    RulesetInputSerializer,
    RulesetOutputSerializer,
    RulesetTestCaseImportSerializer,
    RulesetTestCaseInputSerializer,
    RulesetTestCaseOutputSerializer,
    RulesetTestCaseUpdateSerializer,
    RulesetVersionInputSerializer,
    RulesetVersionOutputSerializer,
    RulesetVersionTransitionInputSerializer,
    RulesetVersionUpdateSerializer,
    RulesetVersionWithHistorySerializer,
)

# Who works with rules; the services decide who may do what (author, approve, publish).
RulePeople = roles_required(
    roles.RULE_EDITOR, roles.RULE_APPROVER, roles.DATA_SCIENTIST, roles.PARTNER_ADMIN, roles.AUDITOR
)


def _attributes(request, serializer_class, *, document_required=False):
    """The request's attributes, validated; an empty body is no attributes (for actions).

    Creating or changing an object needs a document: without one the request is refused (400 on
    /data), not taken as "nothing to change" or "all defaults".
    """
    if document_required and not request.body:
        raise MalformedDocument("/data", "Send a JSON:API document with primary `data`.", code="invalid_document")
    payload = serializer_class(data=request.data if request.body else {})
    payload.is_valid(raise_exception=True)
    return payload.validated_data


class RulesetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The partner's rulesets: named sets of decision tables whose content lives in versions."""

    resource_name = "ruleset"
    permission_classes = [RulePeople]
    serializer_class = RulesetOutputSerializer
    queryset = Ruleset.objects.none()

    def get_queryset(self):
        filters = FilterParser(self.request.query_params)
        purpose = filters.choice("purpose", ("knockout", "points", "cutoff", "routing", "pricing"))
        filters.raise_errors()
        return selectors.ruleset_list(partner=self.request.user.partner, purpose=purpose)

    def get_object(self):
        return selectors.ruleset_get(partner=self.request.user.partner, ruleset_id=self.kwargs["pk"])

    @extend_schema(request=RulesetInputSerializer(), responses={201: RulesetOutputSerializer()})
    def create(self, request):
        """Create a ruleset (no version yet: POST a draft to /ruleset-versions)."""
        data = _attributes(request, RulesetInputSerializer, document_required=True)
        ruleset = services.ruleset_create(partner=request.user.partner, actor=request.user, **data)
        return Response(RulesetOutputSerializer(ruleset).data, status=status.HTTP_201_CREATED)


class RulesetVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versions of rulesets and their path: draft → in review → approved → published → retired."""

    resource_name = "rulesetVersion"
    permission_classes = [RulePeople]
    # 404: the ruleset or version the body or `against` names; 409: discarding anything but a draft;
    # 400: `diff` without `against`.
    extra_error_statuses = {"create": {404}, "destroy": {409}, "diff": {400}}
    # The transitions read an optional `note` (and approval's `effectiveFrom`): no body is no note.
    body_optional_actions = ("submit", "approve", "reject", "publish", "retire")
    serializer_class = RulesetVersionOutputSerializer
    queryset = RulesetVersion.objects.none()

    def get_queryset(self):
        filters = FilterParser(self.request.query_params)
        criteria = {
            "ruleset_id": filters.uuid("ruleset"),
            "status": filters.choice("status", RulesetVersionStatus.values),
        }
        filters.raise_errors()
        return selectors.ruleset_version_list(partner=self.request.user.partner, **criteria)

    def get_object(self):
        return selectors.ruleset_version_get(partner=self.request.user.partner, version_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[
            OpenApiParameter("filter[ruleset]", OpenApiTypes.UUID),
            OpenApiParameter("filter[status]", OpenApiTypes.STR, enum=RulesetVersionStatus.values),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=RulesetVersionWithHistorySerializer())
    def retrieve(self, request, pk=None):
        """One version with its DMN XML and every transition."""
        return Response(RulesetVersionWithHistorySerializer(self.get_object()).data)

    @extend_schema(request=RulesetVersionInputSerializer(), responses={201: RulesetVersionWithHistorySerializer()})
    def create(self, request):
        """A new draft: from DMN XML, or a copy of an earlier version (`basedOnId`) to edit."""
        data = _attributes(request, RulesetVersionInputSerializer, document_required=True)
        partner = request.user.partner
        ruleset = selectors.ruleset_get(partner=partner, ruleset_id=data.pop("ruleset_id"))
        based_on_id = data.pop("based_on_id")
        based_on = selectors.ruleset_version_get(partner=partner, version_id=based_on_id) if based_on_id else None
        version = services.ruleset_version_create_draft(ruleset=ruleset, actor=request.user, based_on=based_on, **data)
        return Response(RulesetVersionWithHistorySerializer(version).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RulesetVersionUpdateSerializer(), responses=RulesetVersionWithHistorySerializer())
    def partial_update(self, request, pk=None):
        """Change a draft (XML, change note, field mapping). Anything but a draft is 409: make a new draft."""
        data = _attributes(request, RulesetVersionUpdateSerializer, document_required=True)
        version = services.ruleset_version_update_draft(version=self.get_object(), actor=request.user, **data)
        return Response(RulesetVersionWithHistorySerializer(version).data)

    def destroy(self, request, pk=None):
        """Discard a draft nothing starts from (anything past draft stays on the record: 409)."""
        services.ruleset_version_discard(version=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _transition(self, request, verb, **extra):
        data = _attributes(request, RulesetVersionTransitionInputSerializer)
        service = getattr(services, f"ruleset_version_{verb}")
        if verb == "approve":
            if data["effective_from"] is None:
                raise ArgumentError("effectiveFrom", "Give the date and time from which the version takes effect.")
            extra["effective_from"] = data["effective_from"]
        version = service(version=self.get_object(), actor=request.user, note=data["note"], **extra)
        return Response(RulesetVersionWithHistorySerializer(version).data)

    @extend_schema(request=RulesetVersionTransitionInputSerializer(), responses=RulesetVersionWithHistorySerializer())
    def submit(self, request, pk=None):
        """Submit a draft for review (refused while its DMN does not load or a test case fails)."""
        return self._transition(request, "submit")

    @extend_schema(request=RulesetVersionTransitionInputSerializer(), responses=RulesetVersionWithHistorySerializer())
    def approve(self, request, pk=None):
        """Approve with `effectiveFrom` (rule approvers only; never the author)."""
        return self._transition(request, "approve")

    @extend_schema(request=RulesetVersionTransitionInputSerializer(), responses=RulesetVersionWithHistorySerializer())
    def reject(self, request, pk=None):
        """Send back to draft with a `note` saying why."""
        return self._transition(request, "reject")

    @extend_schema(request=RulesetVersionTransitionInputSerializer(), responses=RulesetVersionWithHistorySerializer())
    def publish(self, request, pk=None):
        """Register an approved version in the model registry; decisions use it from `effectiveFrom`."""
        return self._transition(request, "publish")

    @extend_schema(request=RulesetVersionTransitionInputSerializer(), responses=RulesetVersionWithHistorySerializer())
    def retire(self, request, pk=None):
        """Withdraw a published version at once."""
        return self._transition(request, "retire")

    @extend_schema(
        request=None,
        responses={
            200: meta_document({"passed": {"type": "boolean"}, "cases": {"type": "array", "items": {"type": "object"}}})
        },
    )
    def test_run(self, request, pk=None):
        """Run the ruleset's test cases on this version's XML: per case, passed, expected and actual values."""
        self.resource_name = False  # a report, rendered inside the meta
        run = services.ruleset_version_test_run(version=self.get_object())
        return Response(
            {
                "meta": {
                    "passed": run.passed,
                    "cases": [
                        {
                            "testCaseId": str(r.case.pk),
                            "name": r.case.name,
                            "passed": r.passed,
                            "expected": r.expected,
                            "actual": r.actual,
                            "mismatches": r.mismatches,
                            "error": r.error,
                        }
                        for r in run.results
                    ],
                }
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "against", OpenApiTypes.UUID, required=True, description="The earlier version to compare with."
            )
        ],
        responses={
            200: meta_document({"text": {"type": "string"}, "tables": {"type": "array", "items": {"type": "object"}}})
        },
    )
    def diff(self, request, pk=None):
        """What changed from version `against` to this one, cell by cell."""
        self.resource_name = False
        against = request.query_params.get("against")
        if not against:
            raise ParameterError("against", "Name the version to compare with.")
        new = self.get_object()
        old = selectors.ruleset_version_get(partner=request.user.partner, version_id=against)
        result = diff.ruleset_version_diff(old=old, new=new)
        return Response({"meta": {"text": result.text(), "tables": [_table_json(table) for table in result.tables]}})

    @extend_schema(
        request=None, responses={200: meta_document({"fields": {"type": "array", "items": {"type": "object"}}})}
    )
    def field_mapping(self, request, pk=None):
        """Each DMN input and result with the dictionary field it maps to on publication."""
        self.resource_name = False
        return Response({"meta": {"fields": selectors.ruleset_version_field_mapping(version=self.get_object())}})


def _table_json(table):
    return {
        "decision": table.decision,
        "status": table.status,
        "hitPolicy": list(table.hit_policy) if table.hit_policy else None,
        "columnsAdded": table.columns_added,
        "columnsRemoved": table.columns_removed,
        "expression": list(table.expression) if table.expression else None,
        "rules": [
            {
                "kind": rule.kind,
                "oldNumber": rule.old_number,
                "newNumber": rule.new_number,
                "cells": [{"column": c.column, "old": c.old, "new": c.new} for c in rule.cells],
                "entries": rule.entries,
                "text": str(rule),
            }
            for rule in table.rules
        ],
    }


class RulesetTestCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A ruleset's test cases: inputs as the DMN names them, and the outputs its rules must give."""

    resource_name = "rulesetTestCase"
    permission_classes = [RulePeople]
    serializer_class = RulesetTestCaseOutputSerializer
    pagination_class = LargePagePagination
    queryset = RulesetTestCase.objects.none()

    def _ruleset(self):
        return selectors.ruleset_get(partner=self.request.user.partner, ruleset_id=self.kwargs["ruleset_pk"])

    def get_queryset(self):
        return selectors.ruleset_test_case_list(partner=self.request.user.partner, ruleset_id=self.kwargs["ruleset_pk"])

    def get_object(self):
        return selectors.ruleset_test_case_get(
            partner=self.request.user.partner, test_case_id=self.kwargs["pk"], ruleset_id=self.kwargs["ruleset_pk"]
        )

    @extend_schema(request=RulesetTestCaseInputSerializer(), responses={201: RulesetTestCaseOutputSerializer()})
    def create(self, request, ruleset_pk=None):
        data = _attributes(request, RulesetTestCaseInputSerializer, document_required=True)
        case = services.ruleset_test_case_create(ruleset=self._ruleset(), actor=request.user, **data)
        return Response(RulesetTestCaseOutputSerializer(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RulesetTestCaseUpdateSerializer(), responses=RulesetTestCaseOutputSerializer())
    def partial_update(self, request, ruleset_pk=None, pk=None):
        data = _attributes(request, RulesetTestCaseUpdateSerializer, document_required=True)
        case = services.ruleset_test_case_update(test_case=self.get_object(), actor=request.user, **data)
        return Response(RulesetTestCaseOutputSerializer(case).data)

    def destroy(self, request, ruleset_pk=None, pk=None):
        services.ruleset_test_case_delete(test_case=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=RulesetTestCaseImportSerializer(), responses={200: RulesetTestCaseOutputSerializer(many=True)}
    )
    def import_csv(self, request, ruleset_pk=None):
        """Create or update test cases from CSV; every bad cell is reported (row and column), nothing half-imported."""
        data = _attributes(request, RulesetTestCaseImportSerializer, document_required=True)
        ruleset = self._ruleset()
        version = (
            selectors.ruleset_version_get(partner=request.user.partner, version_id=data["version_id"])
            if data["version_id"]
            else None
        )
        cases = services.ruleset_test_cases_import_csv(
            ruleset=ruleset, csv_text=data["csv"], actor=request.user, version=version
        )
        return Response(RulesetTestCaseOutputSerializer(cases, many=True).data)
