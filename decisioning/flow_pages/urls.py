from django.urls import path

from . import views

app_name = "flows"
urlpatterns = [
    path("", views.flow_list, name="list"),
    path("<uuid:flow_id>/", views.flow_detail, name="flow"),
    path("versions/<uuid:version_id>/", views.version_detail, name="version"),
    path("versions/<uuid:version_id>/backtests/", views.backtest_start, name="backtest-start"),
    path("backtests/<uuid:backtest_id>/", views.backtest_detail, name="backtest"),
    path("backtests/<uuid:backtest_id>/progress", views.backtest_progress, name="backtest-progress"),
]
