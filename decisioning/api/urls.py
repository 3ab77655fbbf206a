from django.urls import path

from .decision_views import DecisionViewSet
from .flow_views import (
    BacktestViewSet,
    FlowBacktestViewSet,
    FlowVersionTransitionViewSet,
    FlowVersionViewSet,
    FlowViewSet,
)
from .replay_job_views import ReplayJobView
from .views import InsightViewSet

urlpatterns = [
    path("insights", InsightViewSet.as_view({"get": "list", "post": "create"}), name="insight-list"),
    path("insights/<str:pk>", InsightViewSet.as_view({"get": "retrieve"}), name="insight-detail"),
    path("decisions", DecisionViewSet.as_view({"get": "list", "post": "create"}), name="decision-list"),
    path("decisions/<str:pk>", DecisionViewSet.as_view({"get": "retrieve"}), name="decision-detail"),
    path("decisions/<str:pk>/replay", DecisionViewSet.as_view({"post": "replay"}), name="decision-replay"),
    path("replay-jobs", ReplayJobView.as_view(), name="replay-job-list"),
    path("decision-flows", FlowViewSet.as_view({"get": "list", "post": "create"}), name="decision-flow-list"),
    path("decision-flows/<str:pk>", FlowViewSet.as_view({"get": "retrieve"}), name="decision-flow-detail"),
    path(
        "decision-flows/<str:flow_pk>/versions",
        FlowVersionViewSet.as_view({"get": "list", "post": "create"}),
        name="decision-flow-version-list",
    ),
    path(
        "decision-flow-versions/<str:pk>",
        FlowVersionTransitionViewSet.as_view({"get": "retrieve"}),
        name="decision-flow-version-detail",
    ),
    *[
        path(
            f"decision-flow-versions/<str:pk>/{verb}",
            FlowVersionTransitionViewSet.as_view({"post": verb}),
            name=f"decision-flow-version-{verb}",
        )
        for verb in ("submit", "approve", "reject", "publish", "retire")
    ],
    path(
        "decision-flows/<str:flow_pk>/backtests",
        FlowBacktestViewSet.as_view({"post": "create"}),
        name="decision-flow-backtest-list",
    ),
    path("backtests/<str:pk>", BacktestViewSet.as_view({"get": "retrieve"}), name="backtest-detail"),
]
