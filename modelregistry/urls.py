from django.urls import path

from . import views

app_name = "modelregistry"
urlpatterns = [
    path("", views.training, name="training"),
    path("<uuid:job_id>/", views.training_job, name="training-job"),
    path("<uuid:job_id>/confirm/", views.training_job_confirm_view, name="training-job-confirm"),
    path("<uuid:job_id>/progress/", views.training_job_progress, name="training-job-progress"),
]
