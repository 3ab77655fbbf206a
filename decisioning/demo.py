"""The demo partner, people, dictionary and models — loaded through the same services partners use."""

import csv
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from modelregistry import services as registry
from modelregistry.display import humanize
from modelregistry.models import DataDictionaryField, PredictiveModel
from partners import roles
from partners.models import Partner, User
from partners.services import api_token_create, partner_create, user_create, user_roles_set
from rulesets import services as ruleset_services
from rulesets.models import Ruleset, RulesetPurpose

DEMO_DIR = Path(settings.BASE_DIR) / "demo"
PARTNER_NAME = "Demo Credit Union"


def _rows(name):
    with open(DEMO_DIR / name, newline="") as handle:
        return list(csv.DictReader(handle))


def _number(text):
    return float(text) if text not in (None, "") else None


def dictionary_load(*, actor=None):
    """The dictionary from demo/data_dictionary.csv, plus the concepts the models answer with."""
    created = 0
    rows = _rows("data_dictionary.csv") + [
        {
            "name": "probabilityOfDefault",
            "data_type": "number",
            "description": "Probability that the loan goes bad (logistic model).",
            "minimum": "0",
            "maximum": "1",
        },
        {
            "name": "probabilityOfRepayment",
            "data_type": "number",
            "description": "Probability that the loan is repaid (logistic model): 1 - probabilityOfDefault.",
            "minimum": "0",
            "maximum": "1",
        },
        {
            "name": "creditScore",
            "data_type": "number",
            "description": "Scorecard points: 600 = 50:1 good:bad odds, 20 points double the odds.",
        },
        {
            "name": "knockoutReasons",
            "data_type": "list",
            "description": "Knock-out reason codes (empty: no knock-out).",
        },
        {
            "name": "reviewReasons",
            "data_type": "list",
            "description": "Reasons to refer the application to an underwriter.",
        },
        {
            "name": "cutoffOutcome",
            "data_type": "string",
            "description": "APPROVE, REFER or DECLINE from the score cut-offs.",
        },
    ]
    for position in range(1, 5):
        rows.append(
            {
                "name": f"reasonCode{position}",
                "data_type": "string",
                "description": f"Scorecard reason code ranked {position} by points lost.",
            }
        )
    for row in rows:
        if DataDictionaryField.objects.filter(name=row["name"]).exists():
            continue
        allowed = row.get("allowed_values") or ""
        registry.data_dictionary_field_create(
            actor=actor,
            name=row["name"],
            data_type=row["data_type"],
            description=row.get("description", ""),
            allowed_values=allowed.split("|") if allowed else None,
            minimum=_number(row.get("minimum")),
            maximum=_number(row.get("maximum")),
            protected=(row.get("protected") or "").lower() == "true",
            **_display_of(row),
        )
        created += 1
    return created


DEMO_VALUE_LABELS = {
    "term": {"term_36": "36 months", "term_60": "60 months"},
    "verificationStatus": {
        "Verified": "Income verified",
        "Source_Verified": "Income source verified",
        "Not_Verified": "Not verified",
    },
}


def _display_of(row):
    """Label, unit and display format of a demo entry, read off its description's wording."""
    description = row.get("description", "")
    attributes = {"label": humanize(row["name"])}
    if "in US dollars" in description:
        attributes.update(unit="USD", display_format="currency")
    elif "in percent" in description:
        attributes.update(unit="percent", display_format="percent")
    elif row["name"] in ("probabilityOfDefault", "probabilityOfRepayment"):
        attributes.update(unit="fraction", display_format="percent")
    if row["name"] in DEMO_VALUE_LABELS:
        attributes.update(display_format="enumeration", value_labels=DEMO_VALUE_LABELS[row["name"]])
    return attributes


def source_column_mapping():
    return {row["source_column"]: row["name"] for row in _rows("data_dictionary.csv") if row.get("source_column")}


def register_demo_model(*, partner, name, path, actor, result_mapping=None):
    artifact = (DEMO_DIR / path).read_text()
    existing = PredictiveModel.objects.filter(
        partner=partner, name=name, sha256=registry.engines.artifact_sha256(artifact)
    ).first()
    if existing:
        return existing
    model = registry.predictive_model_register(partner=partner, name=name, artifact=artifact, created_by=actor)
    mapping = {**source_column_mapping(), **(result_mapping or {})}
    for field in model.fields.filter(supported_field__isnull=True):
        if field.name in mapping:
            registry.predictive_model_field_map(field=field, supported_field_name=mapping[field.name], actor=actor)
    return model


@transaction.atomic
def demo_load(*, out=print):
    partner = Partner.objects.filter(name=PARTNER_NAME).first() or partner_create(name=PARTNER_NAME)
    dictionary_load()
    people = {}
    for role in roles.ALL:
        username = f"demo_{role}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user, password = user_create(partner=partner, username=username, roles=[role])
            people[role] = (user, password)
        else:
            user_roles_set(user=user, roles=[role])  # demo databases from before roles gave the admin
            people[role] = (user, None)
    scientist = people[roles.DATA_SCIENTIST][0]
    logistic = register_demo_model(
        partner=partner,
        name="Lending Club PD (logistic)",
        path="models/lending_club_logistic.pmml",
        actor=scientist,
        result_mapping={"probability(bad)": "probabilityOfDefault", "probability(good)": "probabilityOfRepayment"},
    )
    rule_people = {"author": people[roles.RULE_EDITOR][0], "approver": people[roles.RULE_APPROVER][0]}
    rulesets = {
        "knockout": publish_demo_ruleset(
            partner=partner,
            name="Knock-out rules",
            purpose=RulesetPurpose.KNOCKOUT,
            path="rules/knockout.dmn",
            field_mapping={"knockout": "knockoutReasons"},
            **rule_people,
        ),
        "cutoff": publish_demo_ruleset(
            partner=partner,
            name="Score cut-offs",
            purpose=RulesetPurpose.CUTOFF,
            path="rules/cutoff.dmn",
            field_mapping={"score": "creditScore", "cutoff": "cutoffOutcome"},
            **rule_people,
        ),
        "review": publish_demo_ruleset(
            partner=partner,
            name="Review routing",
            purpose=RulesetPurpose.ROUTING,
            path="rules/review_routing.dmn",
            field_mapping={"score": "creditScore"},
            **rule_people,
        ),
    }
    knockout = rulesets["knockout"].versions.filter(status="published").order_by("-number").first().published_model
    token = api_token_create(user=people[roles.PARTNER_SYSTEM][0])
    flow = demo_flow_load(
        partner=partner,
        actor=scientist,
        logistic=logistic,
        rulesets=rulesets,
        admin=people[roles.PARTNER_ADMIN][0],
        approver=people[roles.RULE_APPROVER][0],
    )
    return {
        "partner": partner,
        "people": people,
        "logistic": logistic,
        "knockout": knockout,
        "token": token,
        "flow": flow,
        "rulesets": rulesets,
    }


def publish_demo_ruleset(*, partner, name, purpose, path, author, approver, field_mapping):
    """The demo's rules as a ruleset: drafted by the demo rule editor, approved by the demo approver,
    published and effective at once. Loading again changes nothing while the file is unchanged."""
    dmn_xml = (DEMO_DIR / path).read_text()
    ruleset = Ruleset.objects.filter(partner=partner, name=name).first() or ruleset_services.ruleset_create(
        partner=partner, name=name, purpose=purpose, actor=author
    )
    if ruleset.versions.filter(status="published", sha256=registry.engines.artifact_sha256(dmn_xml)).exists():
        return ruleset
    version = ruleset_services.ruleset_version_create_draft(
        ruleset=ruleset,
        actor=author,
        dmn_xml=dmn_xml,
        field_mapping=field_mapping,
        change_note=f"The demo's {name.lower()} ({path}).",
        source_name=Path(path).name,
    )
    test_cases = DEMO_DIR / path.replace(".dmn", "_test_cases.csv")
    if test_cases.exists():  # submitting runs them: the demo's rules pass their own test cases
        ruleset_services.ruleset_test_cases_import_csv(
            ruleset=ruleset, csv_text=test_cases.read_text(), actor=author, version=version
        )
    ruleset_services.ruleset_version_submit(version=version, actor=author)
    ruleset_services.ruleset_version_approve(
        version=version, actor=approver, effective_from=timezone.now(), note="Demo rules, reviewed."
    )
    ruleset_services.ruleset_version_publish(version=version, actor=approver)
    return ruleset


# The scorecard's scaling (demo/README.md): 600 points = 50:1 good:bad odds, 20 points double the odds.
SCORE_OFFSET, SCORE_FACTOR = 487.1229, 28.8539


def demo_flow_load(*, partner, actor, logistic, rulesets, admin=None, approver=None):
    """The demo's flow, drafted by the demo partner admin and approved and published by the demo
    approver (the same maker-checker path partners use). Loading again changes nothing."""
    from .models import Flow
    from .selectors import flow_version_effective
    from .services import (
        flow_create,
        flow_version_approve,
        flow_version_create_draft,
        flow_version_publish,
        flow_version_steps_replace,
        flow_version_submit,
        flow_version_update_draft,
        reason_code_upsert,
    )

    for row in _rows("reason_codes.csv"):
        reason_code_upsert(
            partner=partner,
            code=row["code"],
            kind=row["kind"],
            notice_text=row["notice_text"],
            description=row.get("description", ""),
            actor=actor,
        )
    scorecard = register_demo_model(
        partner=partner,
        name="Lending Club scorecard",
        path="models/lending_club_scorecard.pmml",
        actor=actor,
        result_mapping={"score": "creditScore"},
    )
    admin = admin or User.objects.get(username=f"demo_{roles.PARTNER_ADMIN}")
    approver = approver or User.objects.get(username=f"demo_{roles.RULE_APPROVER}")
    flow = Flow.objects.filter(partner=partner, name="Consumer loans").first()
    if flow is None:
        flow = flow_create(partner=partner, name="Consumer loans", actor=admin, is_default=True)
    published = flow_version_effective(flow=flow)
    if published is not None:
        return published
    draft = flow_version_create_draft(flow=flow, actor=admin, change_note="The demo's consumer-loan policy.")
    # The rule steps follow their rulesets: each decision uses the version effective at that moment.
    flow_version_steps_replace(
        version=draft,
        actor=admin,
        steps=[
            {"kind": "knockout", "ruleset": rulesets["knockout"], "resultField": "knockoutReasons"},
            {"kind": "score", "model": scorecard},
            {"kind": "score", "model": logistic},
            {"kind": "cutoff", "ruleset": rulesets["cutoff"], "resultField": "cutoffOutcome"},
            {"kind": "review", "ruleset": rulesets["review"], "resultField": "reviewReasons"},
        ],
    )
    flow_version_update_draft(
        version=draft,
        actor=admin,
        score_field="creditScore",
        probability_of_default_field="probabilityOfDefault",
        reason_code_fields=["reasonCode1", "reasonCode2", "reasonCode3", "reasonCode4"],
        amount_field="fundedAmount",
        score_offset=SCORE_OFFSET,
        score_factor=SCORE_FACTOR,
        # Used when the cut-off step is taken out: the cut-off ruleset's thresholds as bands.
        cutoff_bands=[
            {"minimum": 563, "outcome": "APPROVE"},
            {"minimum": 553, "outcome": "REFER"},
            {"minimum": None, "outcome": "DECLINE"},
        ],
    )
    flow_version_submit(version=draft, actor=admin)
    flow_version_approve(version=draft, actor=approver, effective_from=timezone.now(), note="Demo flow, reviewed.")
    return flow_version_publish(version=draft, actor=approver)


def demo_application(row_number):
    """All dictionary fields of one demo CSV row, typed as the dictionary says."""
    with open(DEMO_DIR / "data" / "lending_club_modeldata.csv", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):  # noqa: B007 (row is read after the break)
            if number == row_number:
                break
    types = dict(DataDictionaryField.objects.values_list("name", "data_type"))
    application = {}
    for column, concept in source_column_mapping().items():
        text = row[column]
        if text == "":
            application[concept] = None
        elif types[concept] == "number":
            application[concept] = float(text)
        elif types[concept] == "integer":
            application[concept] = int(float(text))
        else:
            application[concept] = text
    return application


def demo_decisions_run(*, partner, requested_by, count=300):
    """Decide the first `count` historical applications (idempotent per row)."""
    from .services import decision_create

    outcomes = {}
    for number in range(count):
        decision, _ = decision_create(
            partner=partner,
            application=demo_application(number),
            requested_by=requested_by,
            external_id=f"LC-{number:05d}",
            idempotency_key=f"demo-{number:05d}",
        )
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    return outcomes


def example_arguments(model, row_number=0):
    """Dictionary-named arguments for `model` from one real row of the demo CSV."""
    application = demo_application(row_number)
    concepts = model.fields.filter(field_type="argument").values_list("supported_field__name", flat=True)
    return {concept: application[concept] for concept in concepts}
