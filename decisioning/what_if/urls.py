from django.urls import path

from . import views

app_name = "what_if"
urlpatterns = [
    path("", views.index, name="index"),
    path("flows/<uuid:flow_id>/", views.flow_page, name="flow"),
    path("models/<uuid:model_id>/", views.model_page, name="model"),
]
