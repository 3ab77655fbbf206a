"""decision.request_sha256 (an unsalted sha256 of the request) becomes request_fingerprint, an HMAC.

Existing rows are re-fingerprinted from their own encrypted application, so a retry of a request
decided before this migration still returns its decision. The request's flowId is not stored (a
request may have named the default flow or left it out): the old hash tells which, by trying
both. A row whose old hash matches neither keeps an empty fingerprint: a retry with its
Idempotency-Key then answers 409, never a second decision. The old hashes are not kept.
"""
import hashlib
import json

from django.db import migrations

from core.fingerprints import fingerprint

PURPOSE = "decision-request"  # decisioning.services.decisions.FINGERPRINT_PURPOSE at the time of writing


def _old_sha256(flow_id, external_id, application):
    canonical = json.dumps({"flowId": str(flow_id) if flow_id else None, "externalId": external_id, "application": application},
                           sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def refingerprint(apps, schema_editor):
    Decision = apps.get_model("decisioning", "Decision")
    for decision in Decision.objects.exclude(request_fingerprint="").iterator(chunk_size=500):
        new = ""
        for flow_id in (None, decision.flow_id):
            if _old_sha256(flow_id, decision.external_id, decision.application) == decision.request_fingerprint:
                request = {"flowId": str(flow_id) if flow_id else None, "externalId": decision.external_id or "",
                           "application": decision.application}
                new = fingerprint(request, purpose=PURPOSE)
                break
        Decision.objects.filter(pk=decision.pk).update(request_fingerprint=new)


class Migration(migrations.Migration):

    dependencies = [
        ("decisioning", "0004_decisions_and_review"),
    ]

    operations = [
        migrations.RenameField("decision", "request_sha256", "request_fingerprint"),
        migrations.RunPython(refingerprint, migrations.RunPython.noop, elidable=True),
    ]
