from django.db import migrations

# Migration 0002 left half of each loan page empty so that a job's update of the loan's latest
# score, PD and grade stayed on its page. Those values live in their own narrow table since 0003:
# a loan row is now written at import and, at most once more, when its first re-evaluation gives it
# its origination score. Full pages make the table half the size a job reads. Applies to pages
# written from now on; `VACUUM FULL portfolio_loan` repacks an existing table at once.


def loan_fillfactor_reset(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE portfolio_loan RESET (fillfactor)")


def loan_fillfactor_half(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE portfolio_loan SET (fillfactor = 50)")


class Migration(migrations.Migration):
    dependencies = [
        ("portfolio", "0003_loan_latest_evaluation"),
    ]

    operations = [
        migrations.RunPython(loan_fillfactor_reset, loan_fillfactor_half),
    ]
