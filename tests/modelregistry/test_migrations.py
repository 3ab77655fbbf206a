"""Data migrations of the model registry, run forwards on real rows."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("modelregistry", "0003_source_workbook")]
AFTER = [("modelregistry", "0004_predictive_model_allow_reference_engine")]


@pytest.mark.django_db(transaction=True)
def test_versions_already_evaluated_by_pypmml_keep_the_reference_engine_and_others_do_not():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Partner = apps.get_model("partners", "Partner")
    PredictiveModel = apps.get_model("modelregistry", "PredictiveModel")
    partner = Partner.objects.create(name="Old Bank", slug="old-bank")
    fallback = PredictiveModel.objects.create(
        partner=partner,
        name="Cox",
        version=1,
        engine="pmml",
        artifact="<PMML/>",
        sha256="a" * 64,
        warnings=["evaluated by the pypmml reference engine (starts a JVM) because CoxRegression …"],
    )
    native = PredictiveModel.objects.create(
        partner=partner, name="Logistic", version=1, engine="pmml", artifact="<PMML/>", sha256="b" * 64, warnings=[]
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    PredictiveModel = apps.get_model("modelregistry", "PredictiveModel")
    assert PredictiveModel.objects.get(pk=fallback.pk).allow_reference_engine is True
    assert PredictiveModel.objects.get(pk=native.pk).allow_reference_engine is False

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
