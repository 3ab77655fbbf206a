from django.urls import path

from .views import ReevaluationJobViewSet

urlpatterns = [
    path(
        "reevaluation-jobs",
        ReevaluationJobViewSet.as_view({"get": "list", "post": "create"}),
        name="reevaluation-job-list",
    ),
    path(
        "reevaluation-jobs/<str:pk>",
        ReevaluationJobViewSet.as_view({"get": "retrieve"}),
        name="reevaluation-job-detail",
    ),
    path(
        "reevaluation-jobs/<str:pk>/cancel",
        ReevaluationJobViewSet.as_view({"post": "cancel"}),
        name="reevaluation-job-cancel",
    ),
]
