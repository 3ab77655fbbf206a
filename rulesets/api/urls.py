from django.urls import path

from .views import RulesetTestCaseViewSet, RulesetVersionViewSet, RulesetViewSet

versions = RulesetVersionViewSet
cases = RulesetTestCaseViewSet

urlpatterns = [
    path("rulesets", RulesetViewSet.as_view({"get": "list", "post": "create"}), name="ruleset-list"),
    path("rulesets/<str:pk>", RulesetViewSet.as_view({"get": "retrieve"}), name="ruleset-detail"),
    path(
        "rulesets/<str:ruleset_pk>/test-cases",
        cases.as_view({"get": "list", "post": "create"}),
        name="ruleset-test-case-list",
    ),
    path(
        "rulesets/<str:ruleset_pk>/test-cases/import",
        cases.as_view({"post": "import_csv"}),
        name="ruleset-test-case-import",
    ),
    path(
        "rulesets/<str:ruleset_pk>/test-cases/<str:pk>",
        cases.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="ruleset-test-case-detail",
    ),
    path("ruleset-versions", versions.as_view({"get": "list", "post": "create"}), name="ruleset-version-list"),
    path(
        "ruleset-versions/<str:pk>",
        versions.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"}),
        name="ruleset-version-detail",
    ),
    *[
        path(f"ruleset-versions/<str:pk>/{verb}", versions.as_view({"post": verb}), name=f"ruleset-version-{verb}")
        for verb in ("submit", "approve", "reject", "publish", "retire")
    ],
    path("ruleset-versions/<str:pk>/test-run", versions.as_view({"post": "test_run"}), name="ruleset-version-test-run"),
    path("ruleset-versions/<str:pk>/diff", versions.as_view({"get": "diff"}), name="ruleset-version-diff"),
    path(
        "ruleset-versions/<str:pk>/field-mapping",
        versions.as_view({"get": "field_mapping"}),
        name="ruleset-version-field-mapping",
    ),
]
