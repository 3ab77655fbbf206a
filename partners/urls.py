from django.urls import path

from . import views

app_name = "partners"
urlpatterns = [
    path("", views.home, name="home"),
    path("overview/", views.overview, name="overview"),
    path("people/", views.people, name="people"),
    path("people/add/", views.person_add, name="person-add"),
    path("people/tokens/", views.token_create, name="token-create"),
    path("audit/", views.audit, name="audit"),
    path("dictionary/", views.dictionary, name="dictionary"),
    path("dictionary/export.csv", views.dictionary_export, name="dictionary-export"),
    path("dictionary/import/", views.dictionary_import, name="dictionary-import"),
]
