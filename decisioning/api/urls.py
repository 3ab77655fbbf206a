from django.urls import path

from .decision_views import DecisionViewSet
from .replay_job_views import ReplayJobView
from .views import InsightViewSet

urlpatterns = [
    path("insights", InsightViewSet.as_view({"get": "list", "post": "create"}), name="insight-list"),
    path("insights/<str:pk>", InsightViewSet.as_view({"get": "retrieve"}), name="insight-detail"),
    path("decisions", DecisionViewSet.as_view({"get": "list", "post": "create"}), name="decision-list"),
    path("decisions/<str:pk>", DecisionViewSet.as_view({"get": "retrieve"}), name="decision-detail"),
    path("decisions/<str:pk>/replay", DecisionViewSet.as_view({"post": "replay"}), name="decision-replay"),
    path("replay-jobs", ReplayJobView.as_view(), name="replay-job-list"),
]
