from django.urls import path

from .views import ProtectedCharacteristicsView

urlpatterns = [
    path(
        "decisions/<str:pk>/protected-characteristics",
        ProtectedCharacteristicsView.as_view(),
        name="decision-protected-characteristics",
    ),
]
