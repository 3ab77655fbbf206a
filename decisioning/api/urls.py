from django.urls import path

from .views import InsightViewSet

urlpatterns = [
    path("insights", InsightViewSet.as_view({"get": "list", "post": "create"}), name="insight-list"),
    path("insights/<str:pk>", InsightViewSet.as_view({"get": "retrieve"}), name="insight-detail"),
]
