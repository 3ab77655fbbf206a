from django.urls import path

from . import views

app_name = "portfolio"
urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
    path("jobs/submit/", views.job_submit, name="job-submit"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/progress/", views.job_progress, name="job-progress"),
    path("jobs/<uuid:job_id>/export.csv", views.job_export, name="job-export"),
    path("jobs/<uuid:job_id>/psi.svg", views.job_psi_svg, name="job-psi"),
    path("schedule/", views.schedule, name="schedule"),
]
