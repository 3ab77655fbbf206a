from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("modelregistry.api.urls")),
    path("", include("decisioning.api.urls")),
    path("", include("rulesets.api.urls")),
    path("", include("portfolio.api.urls")),
    path("", include("monitoring.api.urls")),
    path("", include("batchpredictions.api.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("review/", include("decisioning.review.urls")),
    path("portfolio/", include("portfolio.urls")),
    path("monitoring/", include("monitoring.urls")),
    path("flows/", include("decisioning.flow_pages.urls")),
    path("what-if/", include("decisioning.what_if.urls")),
    path("batch-predictions/", include("batchpredictions.urls")),
    path("training/", include("modelregistry.urls")),
    path("", include("partners.urls")),
]

if settings.CREDITBOX_BENCHMARK_ECHO:  # benchmarks/load.py's framework floor; off unless asked for
    from core.api.echo import BenchmarkEchoView

    urlpatterns.append(path("api/v1/benchmark-echo", BenchmarkEchoView.as_view(), name="benchmark-echo"))
