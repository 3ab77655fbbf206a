import datetime
import decimal

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import connection

from core.fields import dumps, loads
from decisioning.evaluation import Evaluation
from decisioning.models import InsightTransaction
from decisioning.services import insight_record
from modelregistry import services as registry
from partners import roles
from tests.factories import LOGISTIC_PMML

pytestmark = pytest.mark.django_db

SECRET_INCOME = 987654321
ARGUMENTS = {
    "annualIncome": SECRET_INCOME,
    "zero": 0,
    "ratio": 0.1,
    "exact": decimal.Decimal("0.30"),
    "flag": False,
    "nothing": None,
    "applicationDate": datetime.date(2026, 11, 23),
    "nested": {"$type": "not a tag", "items": [1, 2.5, "three"]},
    "surname": "Featherstonehaugh",
}


@pytest.mark.parametrize("value", list(ARGUMENTS.values()) + [ARGUMENTS, [0, 0.0, True, "0"], float("nan")])
def test_encoded_json_keeps_value_types_exactly(value):
    decoded = loads(dumps(value))
    if isinstance(value, float) and value != value:
        assert decoded != decoded
    else:
        assert decoded == value
        assert type(decoded) is type(value)
    if isinstance(value, dict):
        assert all(type(decoded[key]) is type(item) for key, item in value.items())


@pytest.fixture
def stored_insight(partner, make_user, dictionary):
    user = make_user(partner, roles.DATA_SCIENTIST)
    model = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=user)
    evaluation = Evaluation(
        model=model, arguments=ARGUMENTS, field_mapping={}, engine_name="test", results={"score": 612}
    )
    return insight_record(partner=partner, evaluation=evaluation, requested_by=user)


def raw_columns(insight_id):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT arguments, results FROM decisioning_insighttransaction WHERE id = %s",
            [insight_id.hex if connection.vendor == "sqlite" else insight_id],
        )
        return [bytes(column) for column in cursor.fetchone()]


def test_the_raw_column_holds_no_plaintext(stored_insight):
    for column in raw_columns(stored_insight.pk):
        assert str(SECRET_INCOME).encode() not in column
        assert b"Featherstonehaugh" not in column and b"annualIncome" not in column
    reloaded = InsightTransaction.objects.get(pk=stored_insight.pk)
    assert reloaded.arguments == ARGUMENTS and reloaded.results == {"score": 612}


def test_rotation_reencrypts_every_row_so_the_old_key_can_be_dropped(stored_insight, settings):
    old_key = settings.FERNET_KEYS[0]
    new_key = Fernet.generate_key().decode()
    before = raw_columns(stored_insight.pk)
    settings.FERNET_KEYS = [new_key, old_key]
    call_command("rotate_encryption_keys")
    after = raw_columns(stored_insight.pk)
    assert after != before
    Fernet(new_key.encode()).decrypt(after[0])  # the first key encrypts now
    with pytest.raises(InvalidToken):
        Fernet(old_key.encode()).decrypt(after[0])
    settings.FERNET_KEYS = [new_key]
    reloaded = InsightTransaction.objects.get(pk=stored_insight.pk)
    assert reloaded.arguments == ARGUMENTS
    assert type(reloaded.arguments["zero"]) is int and type(reloaded.arguments["exact"]) is decimal.Decimal


def test_without_the_key_nothing_decrypts(stored_insight, settings):
    settings.FERNET_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(InvalidToken):
        InsightTransaction.objects.get(pk=stored_insight.pk)


def test_bulk_created_rows_are_encrypted_one_placeholder_per_value(stored_insight):
    """bulk_create encrypts each value as save() does, and never in Django's UNNEST form on PostgreSQL."""
    from django.test.utils import CaptureQueriesContext

    rows = [
        InsightTransaction(
            partner=stored_insight.partner,
            model=stored_insight.model,
            artifact_sha256=stored_insight.artifact_sha256,
            engine_name="test",
            field_mapping={},
            arguments={**ARGUMENTS, "row": number},
            results={"score": number},
            status=stored_insight.status,
            duration_us=1,
        )
        for number in range(3)
    ]
    with CaptureQueriesContext(connection) as queries:
        InsightTransaction.objects.bulk_create(rows)
    (insert,) = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("INSERT")]
    assert "UNNEST" not in insert.upper()
    for number, row in enumerate(rows):
        for column in raw_columns(row.pk):
            assert str(SECRET_INCOME).encode() not in column and b"annualIncome" not in column
        reloaded = InsightTransaction.objects.get(pk=row.pk)
        assert reloaded.arguments == {**ARGUMENTS, "row": number} and reloaded.results == {"score": number}
