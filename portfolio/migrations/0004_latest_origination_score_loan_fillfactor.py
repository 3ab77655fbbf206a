from django.db import migrations, models

# The loan's drift baseline moves to its narrow latest-evaluation row: a job sets it there on the
# loan's first re-evaluation (its imported origination score, else that score) and never writes the
# loan's own row, which carries its ~1 KB of encrypted attributes. Baselines already taken by a job
# are copied over (imported and job-set scores cannot be told apart on the loan; both are kept).
#
# Migration 0002 left half of each loan page empty so that a job's update of the loan row stayed on
# its page; no job updates it now, so full pages make the table half the size a job reads. Applies to
# pages written from now on; `VACUUM FULL portfolio_loan` repacks an existing table at once.

COPY_FORWARD = """
UPDATE portfolio_loanlatestevaluation SET origination_score = l.origination_score
FROM portfolio_loan l WHERE l.id = portfolio_loanlatestevaluation.loan_id
"""


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
        migrations.AddField(
            model_name="loanlatestevaluation",
            name="origination_score",
            field=models.FloatField(
                blank=True,
                help_text="The drift baseline: the loan's imported origination score, or its first re-evaluation's score.",
                null=True,
            ),
        ),
        migrations.RunSQL(COPY_FORWARD, migrations.RunSQL.noop),
        migrations.RunPython(loan_fillfactor_reset, loan_fillfactor_half),
    ]
