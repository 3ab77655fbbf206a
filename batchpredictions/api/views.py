from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from batchpredictions import selectors
from batchpredictions.models import BatchPrediction
from batchpredictions.services.jobs import batch_prediction_result_rows, batch_prediction_submit
from core.api.permissions import roles_required

from .serializers import BatchPredictionInputSerializer, BatchPredictionOutputSerializer


class _ResultNegotiation(BaseContentNegotiation):
    """The result is CSV whatever the client accepts (`Accept: text/csv` included); errors stay JSON:API."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class BatchPredictionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CSV files of applications scored by a model or a flow in Celery chunks, with progress and a result CSV."""

    resource_name = "batchPrediction"
    # 404: the model or flow the body names; 409: a result asked for before completion or after the window.
    extra_error_statuses = {"create": {404}, "result": {409}}
    permission_classes = [
        roles_required(*selectors.RUNNERS, methods=("POST",)),
        roles_required(*selectors.READERS, methods=("GET", "HEAD")),
    ]
    serializer_class = BatchPredictionOutputSerializer
    queryset = BatchPrediction.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        return selectors.batch_prediction_list(partner=self.request.user.partner)

    def get_object(self):
        return selectors.batch_prediction_get(partner=self.request.user.partner, job_id=self.kwargs["pk"])

    def get_content_negotiator(self):
        if "result" in (getattr(self, "action_map", None) or {}).values():
            return _ResultNegotiation()
        return super().get_content_negotiator()

    @extend_schema(request=BatchPredictionInputSerializer(), responses={202: BatchPredictionOutputSerializer()})
    def create(self, request):
        """Score a CSV: the rows are stored encrypted and scored in the background (`503` while the queue is down)."""
        payload = BatchPredictionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        values = payload.validated_data
        job = batch_prediction_submit(
            partner=request.user.partner,
            user=request.user,
            data=values["csv"],
            model_id=values.get("model_id"),
            flow_id=values.get("flow_id"),
            source_name=values.get("source_name", ""),
            chunk_size=values.get("chunk_size"),
            field="csv",
        )
        return Response(BatchPredictionOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        description="One line per uploaded row: `row`, the uploaded cells, the result columns and `error` (the "
        "row-level error naming the field, empty when the row was scored). `409` until the job is completed and "
        "once its download window has passed. Each download is on the audit log.",
    )
    def result(self, request, pk=None):
        """The result CSV."""
        job = self.get_object()
        response = StreamingHttpResponse(
            batch_prediction_result_rows(job=job, user=request.user), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="batch-prediction-{job.pk}.csv"'
        return response
