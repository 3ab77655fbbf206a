from django.urls import path

from .views import DataDictionaryView, PredictiveModelFieldViewSet, PredictiveModelViewSet

models = PredictiveModelViewSet.as_view({"get": "list", "post": "create"})
model = PredictiveModelViewSet.as_view({"get": "retrieve"})
source = PredictiveModelViewSet.as_view({"get": "source"})
export = PredictiveModelViewSet.as_view({"get": "export"})
fields = PredictiveModelFieldViewSet.as_view({"get": "list"})
field = PredictiveModelFieldViewSet.as_view({"get": "retrieve", "patch": "partial_update"})

urlpatterns = [
    path("data-dictionary", DataDictionaryView.as_view(), name="data-dictionary"),
    path("predictive-models", models, name="predictive-model-list"),
    path("predictive-models/<str:pk>", model, name="predictive-model-detail"),
    path("predictive-models/<str:pk>/source", source, name="predictive-model-source"),
    path("predictive-models/<str:pk>/export", export, name="predictive-model-export"),
    path("predictive-models/<str:model_pk>/fields", fields, name="predictive-model-field-list"),
    path("predictive-models/<str:model_pk>/fields/<str:pk>", field, name="predictive-model-field-detail"),
]
