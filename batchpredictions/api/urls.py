from django.urls import path

from .views import BatchPredictionViewSet

urlpatterns = [
    path(
        "batch-predictions",
        BatchPredictionViewSet.as_view({"get": "list", "post": "create"}),
        name="batch-prediction-list",
    ),
    path(
        "batch-predictions/<str:pk>",
        BatchPredictionViewSet.as_view({"get": "retrieve"}),
        name="batch-prediction-detail",
    ),
    path(
        "batch-predictions/<str:pk>/result",
        BatchPredictionViewSet.as_view({"get": "result"}),
        name="batch-prediction-result",
    ),
]
