from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:case_id>/", views.case_detail, name="case"),
    path("<uuid:case_id>/claim/", views.claim, name="claim"),
    path("<uuid:case_id>/release/", views.release, name="release"),
    path("<uuid:case_id>/decide/", views.decide, name="decide"),
    path("<uuid:case_id>/confirm/", views.confirm, name="confirm"),
]
