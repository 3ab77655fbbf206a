from django.urls import path

app_name = "review"
urlpatterns: list = []  # the queue pages are added by the review-queue work
