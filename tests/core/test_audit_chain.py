import subprocess
import sys
import threading

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.db import connection, connections

from core.models import AuditBlock, AuditEvent, AuditPending
from core.services import audit_chain_seal_all, audit_event_record
from decisioning.evaluation import Evaluation
from decisioning.models import Decision, ReviewAction
from decisioning.review.services import review_case_claim, review_case_confirm, review_case_decide
from decisioning.services import insight_record
from modelregistry import services as registry
from partners import roles
from tests import factories
from tests.factories import LOGISTIC_PMML

APPLICATION_SECRET = "Featherstonehaugh"


def _history(partner, make_user):
    """One of each sealed record: a transaction, a decision settled by review, review actions, audit events."""
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    model = registry.predictive_model_register(partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=scientist)
    evaluation = Evaluation(
        model=model,
        arguments={"annualIncome": 52000, "surname": APPLICATION_SECRET},
        field_mapping={},
        engine_name="test",
        results={"score": 612},
    )
    insight = insight_record(partner=partner, evaluation=evaluation, requested_by=scientist)
    case = factories.ReviewCaseFactory(partner=partner)
    first, second = make_user(partner, roles.UNDERWRITER), make_user(partner, roles.UNDERWRITER)
    review_case_claim(case=case, actor=first)
    review_case_decide(case=case, actor=first, outcome="APPROVED", note="Income verified by phone")
    review_case_confirm(case=case, actor=second)
    return {"insight": insight, "decision": case.decision, "case": case}


@pytest.fixture
def history(partner, make_user, dictionary):
    return _history(partner, make_user)


def verify(*args):
    """verify_audit_chain's message: the success line, or the CommandError naming the first problem."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_chain", *args, stdout=out, stderr=err)
    except CommandError as error:
        return False, str(error), err.getvalue()
    return True, out.getvalue(), err.getvalue()


def _pk_param(pk):
    return pk.hex if connection.vendor == "sqlite" and hasattr(pk, "hex") else pk


def raw_update(table, column, value, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, _pk_param(pk)])
        assert cursor.rowcount == 1


def raw_delete(table, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [_pk_param(pk)])
        assert cursor.rowcount == 1


@pytest.mark.django_db
def test_seal_puts_each_new_record_of_the_partner_in_one_block_and_empties_the_queue(history, partner):
    decision = history["decision"]
    expected = {
        ("decisioning.insighttransaction", str(history["insight"].pk)),
        ("decisioning.decision", str(decision.pk)),
        *(
            ("decisioning.reviewaction", str(pk))
            for pk in ReviewAction.objects.filter(case=history["case"]).values_list("pk", flat=True)
        ),
        *(
            ("core.auditevent", str(pk))
            for pk in AuditEvent.objects.filter(partner=partner).values_list("pk", flat=True)
        ),
    }
    assert len(expected) >= 1 + 1 + 3 + 4
    assert audit_chain_seal_all() == {f"partner:{partner.pk}": 1}
    block = AuditBlock.objects.get(chain__partner=partner)
    assert {(label, record_id) for label, record_id, _ in block.records} == expected
    assert block.sequence == 1 and block.previous_mac == "" and len(block.mac) == 64
    assert not AuditPending.objects.exists()
    # Nothing new, nothing sealed; the next record starts block 2, chained to block 1.
    assert audit_chain_seal_all() == {}
    event = audit_event_record(actor=None, action="test.later", obj=decision)
    assert audit_chain_seal_all() == {f"partner:{partner.pk}": 1}
    second = AuditBlock.objects.get(chain__partner=partner, sequence=2)
    assert second.previous_mac == block.mac
    assert second.records == [["core.auditevent", str(event.pk), second.records[0][2]]]


@pytest.mark.django_db
def test_seal_keeps_applicants_data_out_of_the_block(history):
    audit_chain_seal_all()
    for block in AuditBlock.objects.all():
        assert APPLICATION_SECRET not in str(block.records) and "52000" not in str(block.records)


@pytest.mark.django_db
def test_seal_splits_a_backlog_into_bounded_blocks(partner, monkeypatch):
    monkeypatch.setattr("core.services.SEAL_BLOCK_SIZE", 3)
    for number in range(7):
        audit_event_record(actor=None, action=f"test.{number}", obj=partner, partner=partner)
    assert audit_chain_seal_all() == {f"partner:{partner.pk}": 3}
    assert list(AuditBlock.objects.values_list("record_count", flat=True)) == [3, 3, 1]
    assert verify()[0]


@pytest.mark.django_db
def test_verify_passes_on_an_intact_chain_with_pending_records(history, partner):
    audit_chain_seal_all()
    audit_event_record(actor=None, action="test.pending", obj=partner, partner=partner)
    intact, message, _ = verify()
    assert intact, message
    assert "1 blocks" in message and "1 pending" in message


@pytest.mark.django_db
def test_key_rotation_leaves_the_chain_intact(history, settings):
    audit_chain_seal_all()
    insight = history["insight"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT arguments FROM decisioning_insighttransaction WHERE id = %s", [_pk_param(insight.pk)])
        before = bytes(cursor.fetchone()[0])
    settings.FERNET_KEYS = [Fernet.generate_key().decode(), *settings.FERNET_KEYS]
    call_command("rotate_encryption_keys", stdout=open("/dev/null", "w"))
    settings.FERNET_KEYS = settings.FERNET_KEYS[:1]  # the old key is gone: only the new one decrypts
    with connection.cursor() as cursor:
        cursor.execute("SELECT arguments FROM decisioning_insighttransaction WHERE id = %s", [_pk_param(insight.pk)])
        assert bytes(cursor.fetchone()[0]) != before
    intact, message, _ = verify()
    assert intact, message


@pytest.mark.django_db
def test_an_encrypted_column_replaced_by_another_valid_ciphertext_is_named(history):
    audit_chain_seal_all()
    decision = history["decision"]
    forged = Decision._meta.get_field("application").get_db_prep_save(
        {**decision.application, "annualIncome": 999999.0}, connection
    )
    raw_update("decisioning_decision", "application", forged, decision.pk)
    assert Decision.objects.get(pk=decision.pk).application["annualIncome"] == 999999.0  # it decrypts fine
    intact, message, _ = verify()
    assert not intact
    assert f"decisioning.decision {decision.pk} (block 1 of the demo-credit-union chain): altered" in message


@pytest.mark.django_db
def test_a_metadata_column_changed_in_sql_is_named(history):
    audit_chain_seal_all()
    insight = history["insight"]
    raw_update("decisioning_insighttransaction", "engine_version", "9.9.9", insight.pk)
    intact, message, _ = verify("--partner", "demo-credit-union")
    assert not intact
    assert f"decisioning.insighttransaction {insight.pk} (block 1" in message and "altered" in message


@pytest.mark.django_db
def test_a_deleted_record_is_named(history, partner):
    audit_chain_seal_all()
    event = AuditEvent.objects.filter(partner=partner, action="review_case.claim").get()
    raw_delete("core_auditevent", event.pk)
    intact, message, _ = verify()
    assert not intact
    assert f"core.auditevent {event.pk} (block 1 of the demo-credit-union chain): deleted" in message


@pytest.mark.django_db
def test_the_first_problem_named_is_the_earliest_altered_record(history, partner):
    audit_chain_seal_all()
    later = audit_event_record(actor=None, action="test.later", obj=partner, partner=partner)
    audit_chain_seal_all()
    action = ReviewAction.objects.filter(case=history["case"]).order_by("id").last()
    raw_update("core_auditevent", "action", "test.rewritten", later.pk)
    raw_update("decisioning_reviewaction", "outcome", "DECLINED", action.pk)
    intact, message, details = verify()
    assert not intact
    assert f"First: decisioning.reviewaction {action.pk} (block 1" in message
    assert f"core.auditevent {later.pk} (block 2" in details


@pytest.mark.django_db
def test_a_settled_review_does_not_count_as_altering_the_sealed_decision(partner, make_user):
    case = factories.ReviewCaseFactory(partner=partner)
    audit_chain_seal_all()
    first, second = make_user(partner, roles.UNDERWRITER), make_user(partner, roles.UNDERWRITER)
    review_case_claim(case=case, actor=first)
    review_case_decide(case=case, actor=first, outcome="APPROVED", note="ok")
    review_case_confirm(case=case, actor=second)
    assert Decision.objects.get(pk=case.decision.pk).final_outcome == "APPROVED"
    audit_chain_seal_all()
    intact, message, _ = verify()
    assert intact, message


@pytest.mark.django_db
def test_an_edited_block_and_a_removed_last_block_are_reported(history, partner):
    audit_chain_seal_all()
    audit_event_record(actor=None, action="test.later", obj=partner, partner=partner)
    audit_chain_seal_all()
    first = AuditBlock.objects.get(sequence=1)
    AuditBlock.objects.filter(pk=first.pk).update(records=first.records[1:])
    intact, message, _ = verify()
    assert not intact and "First: Block 1 of the demo-credit-union chain: altered" in message
    AuditBlock.objects.filter(pk=first.pk).update(records=first.records)
    assert verify()[0]
    AuditBlock.objects.filter(sequence=2).delete()
    intact, message, _ = verify()
    assert not intact and "head names block 2, but the last block is 1" in message


@pytest.mark.django_db
def test_a_row_written_behind_the_applications_back_is_reported_unsealed(history, partner):
    audit_chain_seal_all()
    [forged] = AuditEvent.objects.bulk_create(
        [AuditEvent(partner=partner, action="forged", object_type="x", object_id="1")]
    )
    intact, message, _ = verify()
    assert not intact
    assert f"core.auditevent {forged.pk} (the demo-credit-union chain): in no block and not pending" in message


@pytest.mark.django_db
def test_verify_with_partner_checks_only_that_partners_chain(history, partner, other_partner, make_user):
    other = _history(other_partner, make_user)
    audit_chain_seal_all()
    raw_update("decisioning_insighttransaction", "engine_version", "9.9.9", other["insight"].pk)
    assert verify("--partner", partner.slug)[0]
    intact, message, _ = verify("--partner", other_partner.slug)
    assert not intact and "of the other-bank chain" in message
    with pytest.raises(CommandError, match="No partner with the slug 'nobody'"):
        call_command("verify_audit_chain", "--partner", "nobody")


@pytest.mark.django_db(transaction=True)
def test_verify_audit_chain_exits_non_zero_naming_the_record(partner, make_user, subprocess_environment):
    factories.lending_dictionary()
    history = _history(partner, make_user)
    audit_chain_seal_all()
    command = [sys.executable, "manage.py", "verify_audit_chain"]
    intact = subprocess.run(command, env=subprocess_environment(), capture_output=True, text=True, timeout=60)
    assert intact.returncode == 0, intact.stderr
    raw_update("decisioning_insighttransaction", "status", "error", history["insight"].pk)
    broken = subprocess.run(command, env=subprocess_environment(), capture_output=True, text=True, timeout=60)
    assert broken.returncode == 1
    assert (
        f"decisioning.insighttransaction {history['insight'].pk} (block 1 of the demo-credit-union chain): altered"
        in broken.stderr
    )


@pytest.mark.django_db(transaction=True)
def test_a_request_writing_records_does_not_wait_while_a_seal_holds_the_chain_head(partner):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises every writer; the chain-head lock matters on PostgreSQL.")
    audit_event_record(actor=None, action="test.first", obj=partner, partner=partner)
    audit_chain_seal_all()
    from core.models import AuditChain

    locked, release = threading.Event(), threading.Event()

    def hold_the_head():
        from django.db import transaction

        with transaction.atomic():
            AuditChain.objects.select_for_update().get(partner=partner)
            locked.set()
            release.wait(20)
        connections.close_all()

    holder = threading.Thread(target=hold_the_head)
    holder.start()
    try:
        assert locked.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")  # a request that waited on the head would fail
        event = audit_event_record(actor=None, action="test.during-seal", obj=partner, partner=partner)
        assert AuditPending.objects.filter(record_id=str(event.pk)).exists()
    finally:
        release.set()
        holder.join(30)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.mark.django_db(transaction=True)  # the scheduler closes old connections, as beat does
def test_beat_schedules_the_seal_task_in_the_database():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py modules
    DatabaseScheduler(app=app)
    entry = PeriodicTask.objects.get(name="seal-audit-chain")
    assert entry.task == "core.tasks.audit_chain_seal" and entry.task in app.tasks
    assert entry.enabled and entry.interval.every * {"seconds": 1, "minutes": 60}[entry.interval.period] == 300
    assert django_settings.CELERY_BEAT_SCHEDULER == "django_celery_beat.schedulers:DatabaseScheduler"


@pytest.mark.django_db(transaction=True)
def test_the_seal_task_runs_on_the_worker(partner, celery_worker_process):
    from core.tasks import audit_chain_seal

    event = audit_event_record(actor=None, action="test.sealed-by-worker", obj=partner, partner=partner)
    assert audit_chain_seal.delay().get(timeout=60) == {f"partner:{partner.pk}": 1}
    assert ["core.auditevent", str(event.pk)] == AuditBlock.objects.get().records[0][:2]
    assert verify()[0]


@pytest.mark.django_db
def test_staff_read_blocks_in_the_admin_but_cannot_change_them(history, admin_client):
    audit_chain_seal_all()
    block = AuditBlock.objects.get()
    assert admin_client.get("/admin/core/auditblock/").status_code == 200
    page = admin_client.get(f"/admin/core/auditblock/{block.pk}/change/")
    assert page.status_code == 200 and block.mac in page.content.decode()
    assert APPLICATION_SECRET not in page.content.decode()
    assert admin_client.post(f"/admin/core/auditblock/{block.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditBlock.objects.filter(pk=block.pk).exists()
