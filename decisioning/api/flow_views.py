"""Decision flows, their versions and backtests over JSON:API: views translate, services decide."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from core.api.exceptions import MalformedDocument
from core.api.permissions import roles_required
from decisioning import selectors, services
from decisioning.models import Backtest, DecisionFlow, Flow

from .flow_serializers import (
    BacktestInputSerializer,
    BacktestOutputSerializer,
    FlowInputSerializer,
    FlowOutputSerializer,
    FlowVersionInputSerializer,
    FlowVersionOutputSerializer,
    FlowVersionTransitionInputSerializer,
)

# Who reads flows; the services decide who writes (partner admin edits, approver approves).
FlowPeople = roles_required(*selectors.FLOW_READERS)


def _attributes(request, serializer_class):
    # Creating needs a document: without one the request is refused (400 on /data), not taken as all defaults.
    if not request.body:
        raise MalformedDocument("/data", "Send a JSON:API document with primary `data`.", code="invalid_document")
    payload = serializer_class(data=request.data if request.body else {})
    payload.is_valid(raise_exception=True)
    return payload.validated_data


class FlowViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The partner's decision flows; a decision names one with flowId and gets its published version."""

    resource_name = "decisionFlow"
    permission_classes = [FlowPeople]
    serializer_class = FlowOutputSerializer
    queryset = Flow.objects.none()

    def get_queryset(self):
        return selectors.flow_list(partner=self.request.user.partner, user=self.request.user)

    def get_object(self):
        return selectors.flow_get(partner=self.request.user.partner, user=self.request.user, flow_id=self.kwargs["pk"])

    @extend_schema(request=FlowInputSerializer(), responses={201: FlowOutputSerializer()})
    def create(self, request):
        """A new flow (the partner admin); draft its first version with POST …/versions."""
        data = _attributes(request, FlowInputSerializer)
        flow = services.flow_create(partner=request.user.partner, actor=request.user, **data)
        return Response(FlowOutputSerializer(flow).data, status=status.HTTP_201_CREATED)


class FlowVersionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Versions of one flow, newest first: draft → in review → approved → published → retired."""

    resource_name = "decisionFlowVersion"
    permission_classes = [FlowPeople]
    serializer_class = FlowVersionOutputSerializer
    queryset = DecisionFlow.objects.none()

    def _flow(self):
        return selectors.flow_get(
            partner=self.request.user.partner, user=self.request.user, flow_id=self.kwargs["flow_pk"]
        )

    def get_queryset(self):
        return selectors.flow_version_list(flow=self._flow()).prefetch_related("steps")

    @extend_schema(request=FlowVersionInputSerializer(), responses={201: FlowVersionOutputSerializer()})
    def create(self, request, flow_pk=None):
        """A new draft (the partner admin): a copy of the published version (or `basedOnId`), with the
        settings and steps given; `submit: true` submits it for review at once."""
        data = _attributes(request, FlowVersionInputSerializer)
        flow, partner = self._flow(), request.user.partner
        based_on_id, steps, submit = data.pop("based_on_id", None), data.pop("steps", None), data.pop("submit", False)
        based_on = (
            selectors.flow_version_get(partner=partner, user=request.user, version_id=based_on_id)
            if based_on_id
            else None
        )
        version = services.flow_version_create_draft(
            flow=flow, actor=request.user, based_on=based_on, change_note=data.pop("change_note", "")
        )
        if steps is not None:
            version = services.flow_version_steps_replace(version=version, actor=request.user, steps=steps)
        if data:
            version = services.flow_version_update_draft(version=version, actor=request.user, **data)
        if submit:
            version = services.flow_version_submit(version=version, actor=request.user)
        return Response(FlowVersionOutputSerializer(version).data, status=status.HTTP_201_CREATED)


class FlowVersionTransitionViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One flow version by id, and its path: submit, approve, reject, publish, retire.

    The services decide who may: the partner admin submits; a rule approver who is not the author
    approves, rejects and publishes; a rule approver or the partner admin retires.
    """

    resource_name = "decisionFlowVersion"
    permission_classes = [FlowPeople]
    # The transitions read an optional `note` (and approval's `effectiveFrom`): no body is no note.
    body_optional_actions = ("submit", "approve", "reject", "publish", "retire")
    serializer_class = FlowVersionOutputSerializer
    queryset = DecisionFlow.objects.none()

    def get_object(self):
        return selectors.flow_version_get(
            partner=self.request.user.partner, user=self.request.user, version_id=self.kwargs["pk"]
        )

    def _transition(self, request, verb, **extra):
        payload = FlowVersionTransitionInputSerializer(data=request.data if request.body else {})
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if verb == "approve":
            extra["effective_from"] = data["effective_from"]
        service = getattr(services, f"flow_version_{verb}")
        version = service(version=self.get_object(), actor=request.user, note=data["note"], **extra)
        return Response(FlowVersionOutputSerializer(version).data)

    @extend_schema(request=FlowVersionTransitionInputSerializer(), responses=FlowVersionOutputSerializer())
    def submit(self, request, pk=None):
        """Submit a draft for review (the partner admin); refused with every problem named while it has any."""
        return self._transition(request, "submit")

    @extend_schema(request=FlowVersionTransitionInputSerializer(), responses=FlowVersionOutputSerializer())
    def approve(self, request, pk=None):
        """Approve a version in review, from `effectiveFrom` (default now): rule approvers, never the author."""
        return self._transition(request, "approve")

    @extend_schema(request=FlowVersionTransitionInputSerializer(), responses=FlowVersionOutputSerializer())
    def reject(self, request, pk=None):
        """Send a version in review or approved back to draft, with a `note` saying why (rule approvers)."""
        return self._transition(request, "reject")

    @extend_schema(request=FlowVersionTransitionInputSerializer(), responses=FlowVersionOutputSerializer())
    def publish(self, request, pk=None):
        """Publish an approved version: from its `effectiveFrom` on, new decisions use it (rule approvers)."""
        return self._transition(request, "publish")

    @extend_schema(request=FlowVersionTransitionInputSerializer(), responses=FlowVersionOutputSerializer())
    def retire(self, request, pk=None):
        """Withdraw a published version at once (rule approvers, partner admins)."""
        return self._transition(request, "retire")


class FlowBacktestViewSet(viewsets.GenericViewSet):
    resource_name = "backtest"
    permission_classes = [FlowPeople]
    serializer_class = BacktestOutputSerializer
    queryset = Backtest.objects.none()

    @extend_schema(request=BacktestInputSerializer(), responses={202: BacktestOutputSerializer()})
    def create(self, request, flow_pk=None):
        """Backtest a flow version (`candidateId`) or a ruleset version inside the published flow
        (`rulesetVersionId`) against the published version over the last `limit` applications;
        a background job (503 while the job queue is down). Poll GET /backtests/{id}."""
        from rulesets.selectors import ruleset_version_get

        data = _attributes(request, BacktestInputSerializer)
        partner, user = request.user.partner, request.user
        flow = selectors.flow_get(partner=partner, user=user, flow_id=flow_pk)
        candidate = (
            selectors.flow_version_get(partner=partner, user=user, version_id=data["candidate_id"])
            if data.get("candidate_id")
            else None
        )
        ruleset_version = (
            ruleset_version_get(partner=partner, version_id=data["ruleset_version_id"])
            if data.get("ruleset_version_id")
            else None
        )
        backtest = services.backtest_create(
            flow=flow, actor=user, candidate=candidate, ruleset_version=ruleset_version, limit=data["limit"]
        )
        return Response(
            BacktestOutputSerializer(backtest, context={"request": request}).data, status=status.HTTP_202_ACCEPTED
        )


class BacktestViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A backtest's progress and, once done, its report (rates, swap set, rule hits, score histograms)."""

    resource_name = "backtest"
    permission_classes = [FlowPeople]
    serializer_class = BacktestOutputSerializer
    queryset = Backtest.objects.none()

    def get_object(self):
        return selectors.backtest_get(
            partner=self.request.user.partner, user=self.request.user, backtest_id=self.kwargs["pk"]
        )
