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


@pytest.mark.django_db(transaction=True)
def test_registered_dmn_models_get_their_namespace_so_others_can_import_them():
    from tests.factories import AFFORDABILITY_DMN, AFFORDABILITY_NAMESPACE, LOGISTIC_PMML

    before, after = [("modelregistry", "0005_predictive_model_model_card")], [("modelregistry", "0006_dmn_imports")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    partner = apps.get_model("partners", "Partner").objects.create(name="Old Bank", slug="old-bank")
    PredictiveModel = apps.get_model("modelregistry", "PredictiveModel")
    dmn = PredictiveModel.objects.create(
        partner=partner, name="Affordability", version=1, engine="dmn", artifact=AFFORDABILITY_DMN, sha256="a" * 64
    )
    pmml = PredictiveModel.objects.create(
        partner=partner, name="PD", version=1, engine="pmml", artifact=LOGISTIC_PMML, sha256="b" * 64
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)
    PredictiveModel = executor.loader.project_state(after).apps.get_model("modelregistry", "PredictiveModel")
    assert PredictiveModel.objects.get(pk=dmn.pk).namespace == AFFORDABILITY_NAMESPACE
    assert (PredictiveModel.objects.get(pk=pmml.pk).namespace, PredictiveModel.objects.get(pk=pmml.pk).imports) == (
        "",
        [],
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
