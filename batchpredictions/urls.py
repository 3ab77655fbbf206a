from django.urls import path

from . import views

app_name = "batchpredictions"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("submit/", views.job_submit, name="submit"),
    path("<uuid:job_id>/", views.job_detail, name="job"),
    path("<uuid:job_id>/progress/", views.job_progress, name="progress"),
    path("<uuid:job_id>/result.csv", views.job_result, name="result"),
]
