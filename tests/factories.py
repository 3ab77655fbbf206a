"""Shared factories and small artifacts for tests (data stays visible in code, not in fixtures)."""

import factory
from django.contrib.auth.models import Group

from modelregistry.models import DataDictionaryField
from partners import roles as partner_roles
from partners.models import Partner, User

PASSWORD = "correct-horse-battery-staple"


class PartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Partner
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Partner {n} Credit Union")
    slug = factory.Sequence(lambda n: f"partner-{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    partner = factory.SubFactory(PartnerFactory)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if create:
            self.save()
            if extracted:
                # get_or_create: transactional tests flush the groups the data migration made.
                self.groups.set([Group.objects.get_or_create(name=name)[0] for name in extracted])
                if partner_roles.uses_admin(extracted) and not self.is_staff:
                    self.is_staff = True  # as partners.services.user_roles_set does
                    self.save(update_fields=["is_staff"])


class DataDictionaryFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DataDictionaryField
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"concept{n}")
    data_type = "number"


def lending_dictionary():
    """The dictionary fields the test artifacts below use."""
    specs = [
        ("annualIncome", "number", {"minimum": 0, "maximum": 10_000_000}),
        ("revolvingUtilization", "number", {"minimum": 0, "maximum": 200}),
        ("accountsNowDelinquent", "integer", {"minimum": 0}),
        ("homeOwnership", "string", {"allowed_values": ["RENT", "OWN", "MORTGAGE"]}),
        ("selfEmployed", "boolean", {}),
        ("applicationDate", "date", {}),
        ("applicantAge", "integer", {"protected": True, "minimum": 18, "maximum": 120}),
        ("probabilityOfDefault", "number", {}),
        ("knockoutReasons", "list", {}),
    ]
    return {
        name: DataDictionaryFieldFactory(name=name, data_type=data_type, **extra) for name, data_type, extra in specs
    }


# A logistic regression whose field names are the data scientist's, not the dictionary's.
LOGISTIC_PMML = """<?xml version="1.0" encoding="UTF-8"?>
<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header description="test logistic regression"/>
  <DataDictionary numberOfFields="4">
    <DataField name="annual_inc" optype="continuous" dataType="double"/>
    <DataField name="revol_util" optype="continuous" dataType="double"/>
    <DataField name="home_ownership" optype="categorical" dataType="string">
      <Value value="RENT"/><Value value="OWN"/><Value value="MORTGAGE"/>
    </DataField>
    <DataField name="bad" optype="categorical" dataType="string">
      <Value value="0"/><Value value="1"/>
    </DataField>
  </DataDictionary>
  <RegressionModel functionName="classification" normalizationMethod="logit">
    <MiningSchema>
      <MiningField name="bad" usageType="target"/>
      <MiningField name="annual_inc" missingValueReplacement="60000"/>
      <MiningField name="revol_util" missingValueReplacement="50"/>
      <MiningField name="home_ownership"/>
    </MiningSchema>
    <Output>
      <OutputField name="probability_bad" optype="continuous" dataType="double" feature="probability" value="1"/>
    </Output>
    <RegressionTable intercept="-1.5" targetCategory="1">
      <NumericPredictor name="annual_inc" coefficient="-0.00001"/>
      <NumericPredictor name="revol_util" coefficient="0.02"/>
      <CategoricalPredictor name="home_ownership" value="RENT" coefficient="0.3"/>
      <CategoricalPredictor name="home_ownership" value="OWN" coefficient="-0.2"/>
      <CategoricalPredictor name="home_ownership" value="MORTGAGE" coefficient="0"/>
    </RegressionTable>
    <RegressionTable intercept="0" targetCategory="0"/>
  </RegressionModel>
</PMML>
"""


def logistic_probability(annual_income, revolving_utilization, home_ownership):
    import math

    coefficient = {"RENT": 0.3, "OWN": -0.2, "MORTGAGE": 0.0}[home_ownership]
    linear = -1.5 - 0.00001 * annual_income + 0.02 * revolving_utilization + coefficient
    return 1 / (1 + math.exp(-linear))


# A knock-out table whose inputs use dictionary names, so they map themselves.
KNOCKOUT_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="knockout_test"
             name="Knock-out test" namespace="https://creditbox.example/dmn/test">
  <inputData id="i_income" name="annualIncome">
    <variable id="v_income" name="annualIncome" typeRef="number"/>
  </inputData>
  <inputData id="i_delinquent" name="accountsNowDelinquent">
    <variable id="v_delinquent" name="accountsNowDelinquent" typeRef="number"/>
  </inputData>
  <decision id="d_knockout" name="knockoutReasons">
    <variable id="v_knockout" name="knockoutReasons"/>
    <informationRequirement id="r1"><requiredInput href="#i_income"/></informationRequirement>
    <informationRequirement id="r2"><requiredInput href="#i_delinquent"/></informationRequirement>
    <decisionTable id="t_knockout" hitPolicy="COLLECT">
      <input id="c_income" label="annualIncome">
        <inputExpression id="e_income" typeRef="number"><text>annualIncome</text></inputExpression>
      </input>
      <input id="c_delinquent" label="accountsNowDelinquent">
        <inputExpression id="e_delinquent" typeRef="number"><text>accountsNowDelinquent</text></inputExpression>
      </input>
      <output id="o_reason" name="reasonCode" typeRef="string"/>
      <rule id="rule1">
        <inputEntry id="r1c1"><text>&lt; 12000</text></inputEntry>
        <inputEntry id="r1c2"><text>-</text></inputEntry>
        <outputEntry id="r1o"><text>"KO03"</text></outputEntry>
      </rule>
      <rule id="rule2">
        <inputEntry id="r2c1"><text>-</text></inputEntry>
        <inputEntry id="r2c2"><text>&gt; 0</text></inputEntry>
        <outputEntry id="r2o"><text>"KO01"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


class ReasonCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "decisioning.ReasonCode"
        django_get_or_create = ("partner", "code")

    partner = factory.SubFactory(PartnerFactory)
    code = factory.Sequence(lambda n: f"RC{n:02d}")
    kind = "model"
    notice_text = factory.Sequence(lambda n: f"Reason number {n}")


class DecisionFlowFactory(factory.django.DjangoModelFactory):
    """A flow without steps: enough for tests of what happens after a decision exists."""

    class Meta:
        model = "decisioning.DecisionFlow"

    partner = factory.SubFactory(PartnerFactory)
    name = "Consumer loans"
    version = factory.Sequence(lambda n: n + 1)
    score_field = "creditScore"
    probability_of_default_field = "probabilityOfDefault"
    reason_code_fields = ["reasonCode1", "reasonCode2", "reasonCode3", "reasonCode4"]
    amount_field = "fundedAmount"
    cutoff_bands = [
        {"minimum": 563, "outcome": "APPROVE"},
        {"minimum": 553, "outcome": "REFER"},
        {"minimum": None, "outcome": "DECLINE"},
    ]


class DecisionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "decisioning.Decision"

    partner = factory.SubFactory(PartnerFactory)
    flow = factory.SubFactory(DecisionFlowFactory, partner=factory.SelfAttribute("..partner"))
    external_id = factory.Sequence(lambda n: f"APP-{n:05d}")
    application = factory.LazyFunction(lambda: {"fundedAmount": 30000.0, "annualIncome": 52000.0, "term": "term_36"})
    outcome = "REFERRED"
    final_outcome = "REFERRED"
    outputs = factory.LazyFunction(
        lambda: {
            "score": 550,
            "probabilityOfDefault": 0.105,
            "cutoff": "DECLINE",
            "scoreBand": "DECLINE",
            "reasons": [{"code": "RC02", "text": "Too many recent inquiries", "kind": "model"}],
            "referralReasons": [{"code": "REV03", "text": "Data-quality check", "kind": "review"}],
        }
    )


class ReviewCaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "decisioning.ReviewCase"

    partner = factory.SubFactory(PartnerFactory)
    decision = factory.SubFactory(DecisionFactory, partner=factory.SelfAttribute("..partner"))
    due_at = factory.LazyFunction(
        lambda: __import__("django.utils.timezone").utils.timezone.now() + __import__("datetime").timedelta(hours=48)
    )
    referral_reasons = ["REV03"]
    score_band = "DECLINE"


def publish_ruleset(
    partner,
    name,
    dmn_xml,
    *,
    purpose="knockout",
    author=None,
    approver=None,
    effective_from=None,
    field_mapping=None,
    test_cases=(),
):
    """A ruleset version taken through the whole maker-checker path in one call: drafted by a rule
    editor, submitted, approved by another person (a rule approver) and published. Returns the
    RulesetVersion; its registered model is `version.published_model`.

    `test_cases`: [(name, inputs, expected_outputs)] added before submitting.
    """
    import datetime

    from django.utils import timezone

    from rulesets import services as rulesets
    from rulesets.models import Ruleset

    author = author or UserFactory(partner=partner, roles=["rule_editor"])
    approver = approver or UserFactory(partner=partner, roles=["rule_approver"])
    ruleset = Ruleset.objects.filter(partner=partner, name=name).first() or rulesets.ruleset_create(
        partner=partner, name=name, purpose=purpose, actor=author
    )
    for case_name, inputs, expected in test_cases:
        rulesets.ruleset_test_case_create(
            ruleset=ruleset, name=case_name, inputs=inputs, expected_outputs=expected, actor=author
        )
    version = rulesets.ruleset_version_create_draft(
        ruleset=ruleset, actor=author, dmn_xml=dmn_xml, field_mapping=field_mapping, change_note="test version"
    )
    rulesets.ruleset_version_submit(version=version, actor=author)
    effective_from = effective_from or timezone.now() - datetime.timedelta(seconds=1)
    rulesets.ruleset_version_approve(version=version, actor=approver, effective_from=effective_from)
    return rulesets.ruleset_version_publish(version=version, actor=approver)


def publish_draft(version, *, approver=None, effective_from=None):
    """Take an uploaded draft through submit (by its author), approval and publication; returns it published."""
    import datetime

    from django.utils import timezone

    from rulesets import services as rulesets

    approver = approver or UserFactory(partner=version.ruleset.partner, roles=["rule_approver"])
    rulesets.ruleset_version_submit(version=version, actor=version.author)
    effective_from = effective_from or timezone.now() - datetime.timedelta(seconds=1)
    rulesets.ruleset_version_approve(version=version, actor=approver, effective_from=effective_from)
    return rulesets.ruleset_version_publish(version=version, actor=approver)


# A library model other DMN models import by its namespace (tests of imports).
AFFORDABILITY_NAMESPACE = "urn:creditbox:test:affordability"
AFFORDABILITY_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="affordability"
             name="Affordability" namespace="urn:creditbox:test:affordability">
  <inputData id="i_income" name="annualIncome">
    <variable id="v_income" name="annualIncome" typeRef="number"/>
  </inputData>
  <decision id="d_band" name="incomeBand">
    <variable id="v_band" name="incomeBand" typeRef="string"/>
    <informationRequirement id="r1"><requiredInput href="#i_income"/></informationRequirement>
    <literalExpression id="e_band"><text>if annualIncome &gt;= 30000 then "high" else "low"</text></literalExpression>
  </decision>
</definitions>
"""


def importing_knockout_dmn(location_uri="affordability.dmn", *, namespace=AFFORDABILITY_NAMESPACE):
    """Knock-out rules importing the affordability model as `aff` (found by `namespace` only; the
    `location_uri` is what a tool wrote and is never read)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="knockouts_with_affordability"
             name="Knock-outs with affordability" namespace="urn:creditbox:test:knockouts">
  <import name="aff" namespace="{namespace}" locationURI="{location_uri}"
          importType="https://www.omg.org/spec/DMN/20191111/MODEL/"/>
  <inputData id="i_delinquent" name="accountsNowDelinquent">
    <variable id="v_delinquent" name="accountsNowDelinquent" typeRef="number"/>
  </inputData>
  <decision id="d_knockout" name="knockoutReasons">
    <variable id="v_knockout" name="knockoutReasons"/>
    <informationRequirement id="r1"><requiredInput href="#i_delinquent"/></informationRequirement>
    <informationRequirement id="r2"><requiredDecision href="{namespace}#d_band"/></informationRequirement>
    <literalExpression id="e_knockout">
      <text>concatenate(if aff.incomeBand = "low" then ["KO03"] else [], if accountsNowDelinquent &gt; 0 then ["KO01"] else [])</text>
    </literalExpression>
  </decision>
</definitions>
"""
