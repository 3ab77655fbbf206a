"""Queue the rows written before the audit chain existed, so the first seal covers them too."""
from django.db import migrations

# (app label, model, partner lookup) as core/chain.py's SEALED_MODELS, frozen for this migration.
SEALED = [
    ("decisioning", "InsightTransaction", "partner_id"),
    ("decisioning", "Decision", "partner_id"),
    ("decisioning", "ReviewAction", "case__partner_id"),
    ("core", "AuditEvent", "partner_id"),
]


def queue_existing(apps, schema_editor):
    pending = apps.get_model("core", "AuditPending")
    for app_label, model_name, partner_lookup in SEALED:
        model = apps.get_model(app_label, model_name)
        label = f"{app_label}.{model_name.lower()}"
        rows = model.objects.order_by("created", "pk").values_list("pk", partner_lookup)
        batch = []
        for pk, partner_id in rows.iterator(chunk_size=2000):
            scope = f"partner:{partner_id}" if partner_id is not None else "global"
            batch.append(pending(scope=scope, record_type=label, record_id=str(pk)))
            if len(batch) == 2000:
                pending.objects.bulk_create(batch)
                batch = []
        pending.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_chain"),
        ("decisioning", "0004_decisions_and_review"),
    ]

    operations = [migrations.RunPython(queue_existing, migrations.RunPython.noop)]
