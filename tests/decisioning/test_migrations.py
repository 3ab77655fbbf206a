import importlib

import pytest
from django.apps import apps

from decisioning.models import Decision
from decisioning.services import request_fingerprint
from tests.factories import DecisionFactory

refingerprint_migration = importlib.import_module("decisioning.migrations.0005_decision_request_fingerprint")


@pytest.mark.django_db
def test_old_plain_hashes_become_keyed_fingerprints_a_retry_still_matches(partner):
    named_flow, default_flow, unknown = DecisionFactory.create_batch(3, partner=partner)
    old = refingerprint_migration._old_sha256
    named_flow.request_fingerprint = old(named_flow.flow_id, named_flow.external_id, named_flow.application)
    default_flow.request_fingerprint = old(None, default_flow.external_id, default_flow.application)
    unknown.request_fingerprint = "f" * 64
    for decision in (named_flow, default_flow, unknown):
        decision.save()

    refingerprint_migration.refingerprint(apps, None)

    stored = dict(Decision.objects.values_list("pk", "request_fingerprint"))
    assert stored[named_flow.pk] == request_fingerprint(
        flow_id=named_flow.flow_id, external_id=named_flow.external_id, application=named_flow.application
    )
    assert stored[default_flow.pk] == request_fingerprint(
        flow_id=None, external_id=default_flow.external_id, application=default_flow.application
    )
    assert stored[unknown.pk] == ""  # a retry answers 409, never a second decision
