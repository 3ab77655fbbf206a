from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import LargePagePagination
from core.api.permissions import roles_required
from core.exceptions import ArgumentError
from modelregistry import dictionary_csv, selectors, services
from modelregistry.models import PredictiveModel, PredictiveModelField
from partners import roles
from rulesets import services as ruleset_services
from rulesets.api.serializers import RulesetDraftUploadSerializer
from rulesets.models import RulesetVersion

from .serializers import (
    PredictiveModelFieldInputSerializer,
    PredictiveModelFieldOutputSerializer,
    PredictiveModelInputSerializer,
    PredictiveModelOutputSerializer,
)


class _FirstRenderer(BaseContentNegotiation):
    """Content negotiation that leaves `?format=` alone: on the export endpoint it names the file
    format (dmn, xlsx), not a DRF renderer."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


ModelAuthors = roles_required(roles.DATA_SCIENTIST, roles.RULE_EDITOR, roles.PARTNER_ADMIN, methods=("POST", "PATCH"))


class PredictiveModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The partner's registered model versions (PMML and DMN)."""

    resource_name = "predictiveModel"
    permission_classes = [ModelAuthors]
    extra_error_statuses = {"export": {400}}  # no or an unknown `format`, or a model that is not DMN
    serializer_class = PredictiveModelOutputSerializer
    queryset = PredictiveModel.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        return selectors.predictive_model_list(partner=self.request.user.partner).prefetch_related("fields")

    def get_object(self):
        return selectors.predictive_model_get(partner=self.request.user.partner, model_id=self.kwargs["pk"])

    def get_content_negotiator(self):
        # On the export route for every method, so that one it does not take (TRACE…) is a 405, not
        # a 404 from DRF reading `format=dmn` as a renderer's name.
        if "export" in (getattr(self, "action_map", None) or {}).values():
            return _FirstRenderer()
        return super().get_content_negotiator()

    @extend_schema(
        request=PredictiveModelInputSerializer(),
        responses={
            201: PolymorphicProxySerializer(
                component_name="UploadedModelOrDraft",
                serializers=[PredictiveModelOutputSerializer, RulesetDraftUploadSerializer],
                resource_type_field_name=None,
            )
        },
        description="PMML: a new registered model version (`predictiveModel`). DMN XML or an Excel workbook: a "
        "DRAFT version of the ruleset of that name (`rulesetVersion`), which reaches decisions only once a rule "
        "approver approves it and it is published.",
    )
    def create(self, request):
        """Upload an artifact: PMML is registered; DMN rules become a draft ruleset version."""
        payload = PredictiveModelInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        uploaded = ruleset_services.artifact_upload(
            partner=request.user.partner, created_by=request.user, **payload.validated_data
        )
        if isinstance(uploaded, RulesetVersion):
            self.resource_name = "rulesetVersion"
            return Response(
                RulesetDraftUploadSerializer(uploaded).data,
                status=status.HTTP_201_CREATED,
                headers={"Location": f"/api/v1/ruleset-versions/{uploaded.pk}"},
            )
        return Response(PredictiveModelOutputSerializer(uploaded).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            (200, selectors.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
        description="The file as uploaded: the Excel workbook for a workbook upload, else the XML artifact.",
    )
    def source(self, request, pk=None):
        """Download what was uploaded for this version, byte for byte."""
        model = self.get_object()
        content, content_type, filename = selectors.predictive_model_source(model=model)
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["X-Content-SHA256"] = model.source_sha256
        return response

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=list(selectors.EXPORT_FORMATS), required=True)],
        responses={
            (200, "application/xml"): OpenApiTypes.BINARY,
            (200, selectors.XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
        },
        description="A DMN model written out as normalised DMN XML (`format=dmn`, the diagram kept) or as an "
        "Excel workbook in pyDMNrules' layout (`format=xlsx`). Importing either gives the same tables and "
        "decisions.",
    )
    def export(self, request, pk=None):
        """Download a DMN model as DMN XML or as an Excel rule workbook."""
        model = self.get_object()
        content, content_type, filename = selectors.predictive_model_export(
            model=model, export_format=request.query_params.get("format", "")
        )
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class PredictiveModelFieldViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A model's fields as the artifact names them, and their data-dictionary mapping."""

    resource_name = "predictiveModelField"
    permission_classes = [ModelAuthors]
    serializer_class = PredictiveModelFieldOutputSerializer
    pagination_class = LargePagePagination
    queryset = PredictiveModelField.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        return selectors.predictive_model_field_list(
            partner=self.request.user.partner, model_id=self.kwargs["model_pk"]
        )

    def get_object(self):
        return selectors.predictive_model_field_get(
            partner=self.request.user.partner, field_id=self.kwargs["pk"], model_id=self.kwargs["model_pk"]
        )

    @extend_schema(request=PredictiveModelFieldInputSerializer(), responses=PredictiveModelFieldOutputSerializer())
    def partial_update(self, request, model_pk, pk):
        """Map the field onto a data-dictionary field (`null` unmaps it)."""
        field = self.get_object()
        payload = PredictiveModelFieldInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        field = services.predictive_model_field_map(
            field=field,
            supported_field_name=payload.validated_data["supported_field_name"],
            allow_protected=payload.validated_data["allow_protected"],
            actor=request.user,
        )
        return Response(PredictiveModelFieldOutputSerializer(field).data)


class CsvParser(BaseParser):
    media_type = "text/csv"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(dictionary_csv.MAX_BYTES + 1) if stream is not None else b""
        if len(raw) > dictionary_csv.MAX_BYTES:
            raise ArgumentError("file", f"The file is larger than {dictionary_csv.MAX_BYTES:,} bytes.")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ArgumentError("file", "The CSV is not UTF-8 text.") from None


class DataDictionaryImportSerializer(serializers.Serializer):
    id = serializers.CharField()
    created = serializers.ListField(child=serializers.CharField(), help_text="Names of the entries added.")
    updated = serializers.ListField(child=serializers.CharField(), help_text="Entries changed (platform staff only).")
    unchanged = serializers.ListField(
        child=serializers.CharField(), help_text="Entries there already, left as they are."
    )


class DataDictionaryView(APIView):
    """The platform-wide data dictionary as CSV: read by every partner role, added to by data scientists
    and partner admins (all rows or none; an existing entry's type never changes)."""

    resource_name = "dataDictionaryImport"
    serializer_class = DataDictionaryImportSerializer
    permission_classes = [roles_required(roles.DATA_SCIENTIST, roles.PARTNER_ADMIN, methods=("POST",))]
    parser_classes = [CsvParser]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="Columns: " + ", ".join(dictionary_csv.COLUMNS) + "; `|` separates listed values.",
    )
    def get(self, request):
        response = HttpResponse(selectors.data_dictionary_csv(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="data_dictionary.csv"'
        return response

    @extend_schema(
        request={"text/csv": OpenApiTypes.STR},
        responses={200: DataDictionaryImportSerializer},
        description="Import CSV (the columns GET answers with). Errors name the row and column "
        "(`source.pointer` `/data/attributes/rows/<n>/<column>`); nothing is stored unless every row is valid.",
    )
    def post(self, request):
        result = services.data_dictionary_import_csv(text=request.data or "", actor=request.user)
        return Response(
            {"id": "import", "created": result.created, "updated": result.updated, "unchanged": result.unchanged}
        )
