"""Rulesets' business verbs: authoring, maker-checker, publication, uploads, test cases."""

import datetime

import pytest
from django.utils import timezone

from core.exceptions import ArgumentError, ArgumentErrors, Conflict, NotFound, NotPermitted
from core.models import AuditEvent
from modelregistry import services as registry
from modelregistry.models import PredictiveModel
from partners import roles
from rulesets import services
from rulesets.models import RulesetTestCase, RulesetVersion
from rulesets.signals import ruleset_version_published
from tests.factories import KNOCKOUT_DMN, LOGISTIC_PMML

pytestmark = pytest.mark.django_db

NOW = timezone.now


def draft(ruleset, editor, xml=KNOCKOUT_DMN, **extra):
    return services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, dmn_xml=xml, **extra)


def in_review(ruleset, editor, **extra):
    version = draft(ruleset, editor, **extra)
    return services.ruleset_version_submit(version=version, actor=editor)


def approved(ruleset, editor, approver, effective_from=None):
    version = in_review(ruleset, editor)
    return services.ruleset_version_approve(
        version=version, actor=approver, effective_from=effective_from or NOW() - datetime.timedelta(seconds=1)
    )


# ---------------------------------------------------------------- rulesets and drafts
def test_a_ruleset_needs_a_unique_name_and_a_known_purpose(partner, editor, ruleset):
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_create(partner=partner, name="Knock-outs", purpose="knockout", actor=editor)
    assert raised.value.field == ("name",)
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_create(partner=partner, name="Pricing grid", purpose="astrology", actor=editor)
    assert raised.value.field == ("purpose",)
    assert AuditEvent.objects.filter(action="ruleset.create", object_id=str(ruleset.pk)).count() == 1


def test_a_ruleset_may_not_take_the_name_of_a_registered_pmml_model(partner, editor, make_user, dictionary):
    registry.predictive_model_register(
        partner=partner, name="PD", artifact=LOGISTIC_PMML, created_by=make_user(partner, roles.DATA_SCIENTIST)
    )
    with pytest.raises(ArgumentError, match="registered model"):
        services.ruleset_create(partner=partner, name="PD", purpose="points", actor=editor)


def test_underwriters_do_not_author_rules_and_other_partners_do_not_see_the_ruleset(
    partner, other_partner, make_user, ruleset
):
    with pytest.raises(NotPermitted):
        draft(ruleset, make_user(partner, roles.UNDERWRITER))
    with pytest.raises(NotFound):
        draft(ruleset, make_user(other_partner, roles.RULE_EDITOR))


def test_drafts_are_numbered_in_order_and_record_who_made_them(ruleset, editor):
    first, second = draft(ruleset, editor, change_note="first cut"), draft(ruleset, editor)
    assert (first.number, second.number) == (1, 2)
    assert (first.status, first.author, first.change_note) == ("draft", editor, "first cut")
    [transition] = first.transitions.all()
    assert (transition.from_status, transition.to_status, transition.actor, transition.note) == (
        "",
        "draft",
        editor,
        "first cut",
    )
    assert AuditEvent.objects.filter(action="ruleset_version.create_draft", object_id=str(first.pk)).exists()


def test_a_new_draft_from_a_published_version_copies_its_xml_and_mapping(ruleset, editor, approver):
    published = services.ruleset_version_publish(version=approved(ruleset, editor, approver), actor=approver)
    copy = services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, based_on=published)
    assert (copy.number, copy.status, copy.dmn_xml, copy.based_on) == (2, "draft", published.dmn_xml, published)
    assert published.status == "published"


def test_only_a_draft_is_edited(ruleset, editor):
    version = draft(ruleset, editor)
    edited = services.ruleset_version_update_draft(
        version=version, actor=editor, dmn_xml=KNOCKOUT_DMN.replace("12000", "15000")
    )
    assert "15000" in edited.dmn_xml and edited.sha256 != version.sha256
    services.ruleset_version_submit(version=edited, actor=editor)
    with pytest.raises(Conflict):
        services.ruleset_version_update_draft(version=edited, actor=editor, dmn_xml=KNOCKOUT_DMN)
    assert "15000" in RulesetVersion.objects.get(pk=version.pk).dmn_xml


def test_a_draft_mapping_must_name_dictionary_fields(ruleset, editor):
    with pytest.raises(ArgumentErrors) as raised:
        draft(ruleset, editor, field_mapping={"annualIncome": "shoeSize"})
    assert raised.value.errors[0].field == ("fieldMapping", "annualIncome")


def test_a_draft_that_does_not_load_is_kept_but_never_submitted(ruleset, editor):
    broken = draft(ruleset, editor, xml=KNOCKOUT_DMN.replace("&lt; 12000", "&lt; (12000"))
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_submit(version=broken, actor=editor)
    assert raised.value.field == ("dmnXml",) and "does not load" in raised.value.message
    assert RulesetVersion.objects.get(pk=broken.pk).status == "draft"


# ---------------------------------------------------------------- maker-checker
def test_submission_is_refused_while_a_test_case_fails_naming_the_case_and_values(ruleset, editor):
    services.ruleset_test_case_create(
        ruleset=ruleset,
        name="low income",
        actor=editor,
        inputs={"annualIncome": 9000, "accountsNowDelinquent": 0},
        expected_outputs={"knockoutReasons": ["KO03"]},
    )
    services.ruleset_test_case_create(
        ruleset=ruleset,
        name="clean",
        actor=editor,
        inputs={"annualIncome": 50000, "accountsNowDelinquent": 0},
        expected_outputs={"knockoutReasons": []},
    )
    version = draft(ruleset, editor, xml=KNOCKOUT_DMN.replace("&lt; 12000", "&lt; 8000"))
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_submit(version=version, actor=editor)
    assert raised.value.field == ("testCases",)
    assert "1 of 2 test cases fail: low income: knockoutReasons expected ['KO03'], got []" in raised.value.message
    fixed = services.ruleset_version_update_draft(version=version, actor=editor, dmn_xml=KNOCKOUT_DMN)
    assert services.ruleset_version_submit(version=fixed, actor=editor).status == "in_review"


def test_submission_is_refused_while_an_input_does_not_map_onto_the_dictionary(ruleset, editor):
    version = draft(ruleset, editor, xml=KNOCKOUT_DMN.replace("accountsNowDelinquent", "openDelinquencies"))
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_submit(version=version, actor=editor)
    assert raised.value.field == ("fieldMapping",) and "openDelinquencies" in raised.value.message
    services.ruleset_version_update_draft(
        version=version, actor=editor, field_mapping={"openDelinquencies": "accountsNowDelinquent"}
    )
    assert services.ruleset_version_submit(version=version, actor=editor).status == "in_review"


def test_only_rule_approvers_approve(ruleset, editor, partner, make_user):
    version = in_review(ruleset, editor)
    for role in (roles.RULE_EDITOR, roles.PARTNER_ADMIN, roles.DATA_SCIENTIST):
        with pytest.raises(NotPermitted):
            services.ruleset_version_approve(version=version, actor=make_user(partner, role), effective_from=NOW())
    assert RulesetVersion.objects.get(pk=version.pk).status == "in_review"


def test_the_author_never_approves_their_own_version_even_as_a_rule_approver(ruleset, partner, make_user):
    author = make_user(partner, roles.RULE_EDITOR, roles.RULE_APPROVER)
    version = in_review(ruleset, author)
    with pytest.raises(NotPermitted, match="author"):
        services.ruleset_version_approve(version=version, actor=author, effective_from=NOW())


def test_approval_takes_an_effective_from_and_records_who_and_when(ruleset, editor, approver):
    version = in_review(ruleset, editor)
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_approve(version=version, actor=approver, effective_from="tomorrow")
    assert raised.value.field == ("effectiveFrom",)
    moment = NOW() + datetime.timedelta(days=3)
    services.ruleset_version_approve(version=version, actor=approver, effective_from=moment, note="fine")
    version.refresh_from_db()
    assert (version.status, version.approver, version.effective_from) == ("approved", approver, moment)
    last = version.transitions.last()
    assert (last.from_status, last.to_status, last.actor, last.note) == ("in_review", "approved", approver, "fine")


def test_a_draft_is_not_approved_without_review(ruleset, editor, approver):
    with pytest.raises(Conflict):
        services.ruleset_version_approve(version=draft(ruleset, editor), actor=approver, effective_from=NOW())


def test_rejection_returns_the_version_to_draft_with_a_reason(ruleset, editor, approver):
    version = in_review(ruleset, editor)
    with pytest.raises(ArgumentError):
        services.ruleset_version_reject(version=version, actor=approver, note=" ")
    services.ruleset_version_reject(version=version, actor=approver, note="KO03 threshold too strict")
    version.refresh_from_db()
    assert (version.status, version.approver, version.effective_from) == ("draft", None, None)
    assert version.transitions.last().note == "KO03 threshold too strict"
    assert (
        services.ruleset_version_update_draft(version=version, actor=editor, change_note="relaxed").change_note
        == "relaxed"
    )


def test_publication_registers_an_immutable_dmn_model_mapped_onto_the_dictionary(ruleset, editor, approver):
    version = approved(ruleset, editor, approver)
    published = services.ruleset_version_publish(version=version, actor=approver, note="go")
    model = published.published_model
    assert (published.status, model.engine, model.name, model.version) == ("published", "dmn", "Knock-outs", 1)
    assert model.artifact == version.dmn_xml and model.sha256 == version.sha256
    assert dict(model.fields.values_list("name", "supported_field__name")) == {
        "annualIncome": "annualIncome",
        "accountsNowDelinquent": "accountsNowDelinquent",
        "knockoutReasons": "knockoutReasons",
    }
    event = AuditEvent.objects.get(action="predictive_model.register", object_id=str(model.pk))
    assert event.data["ruleset_version"] == str(version.pk)
    assert [t.to_status for t in published.transitions.all()] == ["draft", "in_review", "approved", "published"]


def test_publication_applies_the_versions_own_mapping(ruleset, editor, approver, dictionary):
    xml = KNOCKOUT_DMN.replace("accountsNowDelinquent", "openDelinquencies")
    version = draft(ruleset, editor, xml=xml, field_mapping={"openDelinquencies": "accountsNowDelinquent"})
    services.ruleset_version_submit(version=version, actor=editor)
    services.ruleset_version_approve(version=version, actor=approver, effective_from=NOW())
    model = services.ruleset_version_publish(version=version, actor=approver).published_model
    assert model.fields.get(name="openDelinquencies").supported_field.name == "accountsNowDelinquent"


def test_only_an_approved_version_is_published_and_only_by_approvers_or_admins(ruleset, editor, approver):
    version = in_review(ruleset, editor)
    with pytest.raises(Conflict):
        services.ruleset_version_publish(version=version, actor=approver)
    services.ruleset_version_approve(version=version, actor=approver, effective_from=NOW())
    with pytest.raises(NotPermitted):
        services.ruleset_version_publish(version=version, actor=editor)
    assert PredictiveModel.objects.count() == 0


def test_publication_and_retirement_are_announced_after_commit(
    ruleset, editor, approver, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, **kwargs):
        heard.append(kwargs["version_id"])

    ruleset_version_published.connect(listener)
    try:
        version = approved(ruleset, editor, approver)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.ruleset_version_publish(version=version, actor=approver)
        assert heard == []  # not before the transaction commits
        for callback in callbacks:
            callback()
        assert heard == [version.pk]
        with django_capture_on_commit_callbacks(execute=True):
            services.ruleset_version_retire(version=version, actor=approver, note="withdrawn")
        assert heard == [version.pk, version.pk]
    finally:
        ruleset_version_published.disconnect(listener)


def test_approve_and_publish_is_one_step_and_never_before_the_version_in_force(ruleset, editor, approver):
    first = services.ruleset_version_approve_and_publish(
        version=in_review(ruleset, editor), actor=approver, effective_from=NOW() - datetime.timedelta(hours=1)
    )
    assert (first.status, first.approver, first.published_model.version) == ("published", approver, 1)
    second = in_review(ruleset, editor)
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_approve_and_publish(
            version=second, actor=approver, effective_from=first.effective_from - datetime.timedelta(minutes=1)
        )
    assert raised.value.field == ("effectiveFrom",)
    assert f"Version {first.number} is in effect" in raised.value.message
    second.refresh_from_db()
    assert (second.status, second.approver, second.effective_from) == ("in_review", None, None)
    naive_later = timezone.localtime(first.effective_from).replace(tzinfo=None) + datetime.timedelta(minutes=1)
    published = services.ruleset_version_approve_and_publish(version=second, actor=approver, effective_from=naive_later)
    assert published.status == "published" and timezone.is_aware(published.effective_from)


def test_approve_and_publish_keeps_maker_checker_and_registers_nothing_it_refuses(
    ruleset, approver, partner, make_user
):
    both = make_user(partner, roles.RULE_EDITOR, roles.RULE_APPROVER, username="both")
    version = in_review(ruleset, both)
    with pytest.raises(NotPermitted):  # the author, even as a rule approver, never approves
        services.ruleset_version_approve_and_publish(version=version, actor=both, effective_from=NOW())
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_approve_and_publish(version=version, actor=approver, effective_from="tomorrow")
    assert raised.value.field == ("effectiveFrom",)
    version.refresh_from_db()
    assert (version.status, version.published_model) == ("in_review", None)
    assert not PredictiveModel.objects.filter(partner=partner).exists()


def test_retiring_withdraws_the_version_and_its_registered_model(ruleset, editor, approver):
    version = services.ruleset_version_publish(version=approved(ruleset, editor, approver), actor=approver)
    services.ruleset_version_retire(version=version, actor=approver, note="superseded by policy")
    version.refresh_from_db()
    assert version.status == "retired" and version.published_model.status == "retired"
    with pytest.raises(Conflict):
        services.ruleset_version_retire(version=version, actor=approver)


def test_every_transition_is_on_the_record_with_who_when_and_note(ruleset, editor, approver):
    version = draft(ruleset, editor, change_note="new thresholds")
    services.ruleset_version_submit(version=version, actor=editor, note="please review")
    services.ruleset_version_reject(version=version, actor=approver, note="add a test case")
    services.ruleset_version_submit(version=version, actor=editor, note="again")
    services.ruleset_version_approve(version=version, actor=approver, effective_from=NOW(), note="ok")
    services.ruleset_version_publish(version=version, actor=approver)
    services.ruleset_version_retire(version=version, actor=approver, note="replaced")
    rows = [(t.from_status, t.to_status, t.actor.username, t.note) for t in version.transitions.all()]
    assert rows == [
        ("", "draft", "rita", "new thresholds"),
        ("draft", "in_review", "rita", "please review"),
        ("in_review", "draft", "arthur", "add a test case"),
        ("draft", "in_review", "rita", "again"),
        ("in_review", "approved", "arthur", "ok"),
        ("approved", "published", "arthur", ""),
        ("published", "retired", "arthur", "replaced"),
    ]
    assert all(t.created for t in version.transitions.all())
    actions = list(AuditEvent.objects.filter(object_id=str(version.pk)).order_by("id").values_list("action", flat=True))
    assert actions == [
        "ruleset_version.create_draft",
        "ruleset_version.submit",
        "ruleset_version.reject",
        "ruleset_version.submit",
        "ruleset_version.approve",
        "ruleset_version.publish",
        "ruleset_version.retire",
    ]


def test_live_states_for_display_follow_effective_from(ruleset, editor, approver):
    old = services.ruleset_version_publish(
        version=approved(ruleset, editor, approver, NOW() - datetime.timedelta(days=2)), actor=approver
    )
    assert RulesetVersion.objects.get(pk=old.pk).live_state == "live"  # publication refreshes its ruleset at once
    current = services.ruleset_version_publish(
        version=approved(ruleset, editor, approver, NOW() - datetime.timedelta(days=1)), actor=approver
    )
    future = services.ruleset_version_publish(
        version=approved(ruleset, editor, approver, NOW() + datetime.timedelta(days=1)), actor=approver
    )
    states = {v.pk: v.live_state for v in RulesetVersion.objects.all()}
    assert states == {old.pk: "superseded", current.pk: "live", future.pk: "scheduled"}
    assert services.ruleset_version_live_states_refresh() == 0  # safe to run twice
    # A day later the scheduled version is live: the scheduled refresh shows it.
    assert services.ruleset_version_live_states_refresh(at=NOW() + datetime.timedelta(days=2)) == 2
    assert RulesetVersion.objects.get(pk=future.pk).live_state == "live"
    services.ruleset_version_retire(version=future, actor=approver)
    assert RulesetVersion.objects.get(pk=future.pk).live_state == ""


def test_only_an_unused_draft_is_discarded(ruleset, editor, approver):
    first = draft(ruleset, editor)
    services.ruleset_version_create_draft(ruleset=ruleset, actor=editor, based_on=first)
    with pytest.raises(Conflict):
        services.ruleset_version_discard(version=first, actor=editor)
    lone = draft(ruleset, editor)
    services.ruleset_version_discard(version=lone, actor=editor)
    assert not RulesetVersion.objects.filter(pk=lone.pk).exists()
    assert AuditEvent.objects.filter(action="ruleset_version.discard", object_id=str(lone.pk)).exists()
    published = services.ruleset_version_publish(version=approved(ruleset, editor, approver), actor=approver)
    with pytest.raises(Conflict):
        services.ruleset_version_discard(version=published, actor=editor)


# ---------------------------------------------------------------- uploads
def test_an_uploaded_dmn_is_a_draft_and_pmml_is_registered(partner, make_user, dictionary):
    scientist = make_user(partner, roles.DATA_SCIENTIST)
    version = services.artifact_upload(
        partner=partner,
        name="KO",
        created_by=scientist,
        artifact=KNOCKOUT_DMN,
        source_name="ko.dmn",
        purpose="knockout",
    )
    assert isinstance(version, RulesetVersion) and version.status == "draft"
    assert (version.ruleset.name, version.ruleset.purpose, version.source_name) == ("KO", "knockout", "ko.dmn")
    again = services.artifact_upload(partner=partner, name="KO", created_by=scientist, artifact=KNOCKOUT_DMN)
    assert (again.ruleset, again.number) == (version.ruleset, 2)
    model = services.artifact_upload(partner=partner, name="PD", created_by=scientist, artifact=LOGISTIC_PMML)
    assert isinstance(model, PredictiveModel) and model.engine == "pmml"


def test_a_pmml_upload_is_read_and_compiled_once(partner, make_user, dictionary, monkeypatch):
    from modelregistry import engines

    loads, real_load = [], engines.load

    def counted_load(**arguments):
        loads.append(arguments["engine"])
        return real_load(**arguments)

    monkeypatch.setattr(engines, "load", counted_load)
    model = services.artifact_upload(
        partner=partner, name="PD", created_by=make_user(partner, roles.DATA_SCIENTIST), artifact=LOGISTIC_PMML
    )
    assert loads == ["pmml"]
    assert (model.engine, model.version, [f.name for f in model.fields.order_by("field_type", "position")]) == (
        "pmml",
        1,
        ["annual_inc", "revol_util", "home_ownership", "probability_bad"],
    )


def test_the_registry_refuses_dmn_that_did_not_come_through_a_ruleset(partner, make_user, dictionary):
    with pytest.raises(ArgumentError) as raised:
        registry.predictive_model_register(
            partner=partner, name="KO", artifact=KNOCKOUT_DMN, created_by=make_user(partner, roles.DATA_SCIENTIST)
        )
    assert raised.value.code == "draft_required" and PredictiveModel.objects.count() == 0


def test_an_invalid_upload_stores_nothing(partner, make_user, dictionary):
    with pytest.raises(ArgumentError) as raised:
        services.artifact_upload(
            partner=partner,
            name="KO",
            created_by=make_user(partner, roles.RULE_EDITOR),
            artifact=KNOCKOUT_DMN.replace("</definitions>", ""),
        )
    assert raised.value.field == ("artifact",)
    assert RulesetVersion.objects.count() == 0


# ---------------------------------------------------------------- test cases
CSV = (
    "name,annualIncome,accountsNowDelinquent,knockoutReasons\n"
    "low income,9000,0,KO03\n"
    'delinquent,50000,2,["KO01"]\n'
    "both,9000,1,KO03|KO01\n"
    "clean,50000,0,[]\n"
)


def test_csv_test_cases_are_typed_by_the_dmn_and_run_with_actual_values(ruleset, editor):
    version = draft(ruleset, editor)
    imported = services.ruleset_test_cases_import_csv(ruleset=ruleset, csv_text=CSV, actor=editor)
    assert [case.name for case in imported] == ["low income", "delinquent", "both", "clean"]
    both = RulesetTestCase.objects.get(name="both")
    assert both.inputs == {"annualIncome": 9000, "accountsNowDelinquent": 1}
    assert both.expected_outputs == {"knockoutReasons": ["KO03", "KO01"]}
    run = services.ruleset_version_test_run(version=version)
    assert run.passed and [r.actual["knockoutReasons"] for r in run.results] == [
        ["KO03", "KO01"],
        [],
        ["KO01"],
        ["KO03"],
    ]

    stricter = draft(ruleset, editor, xml=KNOCKOUT_DMN.replace("&lt; 12000", "&lt; 60000"))
    failed = {result.case.name: result for result in services.ruleset_version_test_run(version=stricter).failed}
    assert set(failed) == {"delinquent", "clean"}
    assert (failed["clean"].actual, failed["clean"].mismatches) == ({"knockoutReasons": ["KO03"]}, ["knockoutReasons"])


def test_importing_again_updates_cases_by_name(ruleset, editor):
    draft(ruleset, editor)
    services.ruleset_test_cases_import_csv(ruleset=ruleset, csv_text=CSV, actor=editor)
    services.ruleset_test_cases_import_csv(
        ruleset=ruleset,
        actor=editor,
        csv_text=("name,input:annualIncome,accountsNowDelinquent,expected:knockoutReasons\nclean,80000,0,[]\n"),
    )
    assert RulesetTestCase.objects.count() == 4
    assert RulesetTestCase.objects.get(name="clean").inputs["annualIncome"] == 80000


def test_csv_errors_name_row_and_column_and_nothing_is_imported(ruleset, editor):
    draft(ruleset, editor)
    bad = (
        "name,annualIncome,accountsNowDelinquent,knockoutReasons\n"
        "ok,9000,0,KO03\n"
        "words,a lot,0,KO03\n"
        "half,9000,1.5.2,KO03\n"
        "ok,1,0,KO03\n"
        "short,1\n"
    )
    with pytest.raises(ArgumentErrors) as raised:
        services.ruleset_test_cases_import_csv(ruleset=ruleset, csv_text=bad, actor=editor)
    problems = [(error.field, error.message) for error in raised.value.errors]
    assert problems == [
        (("csv", "3", "annualIncome"), "Row 3, column 'annualIncome': 'a lot' is not a number."),
        (("csv", "4", "accountsNowDelinquent"), "Row 4, column 'accountsNowDelinquent': '1.5.2' is not a number."),
        (("csv", "5", "name"), "Row 5, column 'name': 'ok' is also row 2."),
        (("csv", "6"), "Row 6: 2 cells; the header has 4 columns."),
    ]
    assert RulesetTestCase.objects.count() == 0


def test_csv_columns_the_dmn_does_not_know_are_refused(ruleset, editor):
    draft(ruleset, editor)
    with pytest.raises(ArgumentErrors) as raised:
        services.ruleset_test_cases_import_csv(
            ruleset=ruleset, actor=editor, csv_text="name,shoeSize,expected:colour\nx,44,red\n"
        )
    assert [error.field for error in raised.value.errors] == [("csv", "1", "shoeSize"), ("csv", "1", "expected:colour")]


def test_a_test_case_naming_an_input_the_dmn_lacks_fails_with_that_reason(ruleset, editor):
    version = draft(ruleset, editor)
    services.ruleset_test_case_create(
        ruleset=ruleset, name="typo", actor=editor, inputs={"annualIncom": 1}, expected_outputs={"knockoutReasons": []}
    )
    [result] = services.ruleset_version_test_run(version=version).results
    assert not result.passed and result.error == "The DMN has no input 'annualIncom'."


def test_publication_is_refused_when_an_input_no_longer_maps(ruleset, editor, approver, dictionary):
    version = approved(ruleset, editor, approver)
    dictionary["accountsNowDelinquent"].protected = True  # declared protected after the review
    dictionary["accountsNowDelinquent"].save()
    with pytest.raises(ArgumentError) as raised:
        services.ruleset_version_publish(version=version, actor=approver)
    assert raised.value.field == ("fieldMapping",) and "accountsNowDelinquent" in raised.value.message
    assert PredictiveModel.objects.count() == 0 and RulesetVersion.objects.get().status == "approved"
