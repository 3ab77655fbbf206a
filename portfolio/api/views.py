from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.permissions import roles_required
from portfolio import selectors
from portfolio.models import ReevaluationJob
from portfolio.services.jobs import reevaluation_job_cancel, reevaluation_job_submit

from .serializers import ReevaluationJobInputSerializer, ReevaluationJobOutputSerializer


class ReevaluationJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Re-evaluations of the partner's loan book: chunked Celery jobs with progress, migration and drift."""

    resource_name = "reevaluationJob"
    # 404: the flow `flowId` names; 409: cancelling a job that has finished or was cancelled.
    extra_error_statuses = {"create": {404}, "cancel": {409}}
    permission_classes = [
        roles_required(*selectors.RUNNERS, methods=("POST",)),
        roles_required(*selectors.READERS, methods=("GET", "HEAD")),
    ]
    serializer_class = ReevaluationJobOutputSerializer
    queryset = ReevaluationJob.objects.none()  # for schema introspection; get_queryset scopes

    def get_queryset(self):
        return selectors.job_list(partner=self.request.user.partner)

    def get_object(self):
        return selectors.job_get(partner=self.request.user.partner, job_id=self.kwargs["pk"])

    @extend_schema(request=ReevaluationJobInputSerializer(), responses={202: ReevaluationJobOutputSerializer()})
    def create(self, request):
        """Re-evaluate the book (loans in the statuses named) with the flow's current step versions, pinned now."""
        payload = ReevaluationJobInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        job = reevaluation_job_submit(partner=request.user.partner, user=request.user, **payload.validated_data)
        return Response(ReevaluationJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: ReevaluationJobOutputSerializer()})
    def cancel(self, request, pk=None):
        """Cancel a queued or running job: chunks not yet started write nothing."""
        job = reevaluation_job_cancel(job=self.get_object(), user=request.user)
        return Response(ReevaluationJobOutputSerializer(job).data)
