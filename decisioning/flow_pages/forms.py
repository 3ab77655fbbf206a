"""Forms of the flow editor: what a partner admin can change, with choices from the data dictionary."""

from django import forms

from modelregistry.models import DataDictionaryField, DataType, PredictiveModel
from rulesets.models import Ruleset, RulesetVersion, RulesetVersionStatus

from .. import flows
from ..models import StepKind

NUMERIC = (DataType.NUMBER, DataType.INTEGER)


def _dictionary_choices(types, blank=True):
    """Dictionary names of `types`, shown with their labels (the names are what the API speaks)."""
    entries = DataDictionaryField.objects.filter(data_type__in=types).order_by("name").values_list("name", "label")
    return ([("", "—")] if blank else []) + [(name, f"{name} ({label})" if label else name) for name, label in entries]


class FlowSettingsForm(forms.Form):
    score_field = forms.ChoiceField(label="Score field")
    probability_of_default_field = forms.ChoiceField(label="Probability-of-default field", required=False)
    reason_code_fields = forms.MultipleChoiceField(
        label="Reason-code fields (rank order)", required=False, widget=forms.SelectMultiple(attrs={"size": 6})
    )
    amount_field = forms.ChoiceField(label="Amount field")
    score_offset = forms.FloatField(label="Score offset (PD from points)", required=False)
    score_factor = forms.FloatField(label="Score factor (PD from points)", required=False)
    change_note = forms.CharField(label="Change note", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    review_sla_hours = forms.IntegerField(label="Review SLA (hours)", min_value=1, max_value=2160)
    override_confirmation_amount = forms.DecimalField(
        label="Override limit (amount needing a second underwriter)", min_value=0, max_digits=14, decimal_places=2
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        numeric = _dictionary_choices(NUMERIC)
        self.fields["score_field"].choices = numeric
        self.fields["probability_of_default_field"].choices = numeric
        self.fields["amount_field"].choices = numeric
        self.fields["reason_code_fields"].choices = _dictionary_choices((DataType.STRING, DataType.LIST), blank=False)


class BandForm(forms.Form):
    minimum = forms.FloatField(required=False, help_text="Empty: every lower score.")
    outcome = forms.ChoiceField(choices=[("", "—")] + [(o, o) for o in flows.CUTOFF_OUTCOMES], required=False)


BandFormSet = forms.formset_factory(BandForm, extra=1, can_delete=True, max_num=20)
# A draft started from nothing shows room for a whole first flow (knock-out, score, cut-off or
# review steps; three bands), so its author does not save once per row.
BlankBandFormSet = forms.formset_factory(BandForm, extra=3, can_delete=True, max_num=20)


def target_choices(partner):
    """What a step can run: a ruleset (following its effective version), one ruleset version (pinned),
    a registered model pinned or following its name's latest active version."""
    choices = []
    for ruleset in Ruleset.objects.filter(partner=partner).order_by("name"):
        choices.append((f"ruleset:{ruleset.pk}", f"Ruleset {ruleset.name} — follow the effective version"))
        for version in ruleset.versions.filter(
            status__in=[RulesetVersionStatus.APPROVED, RulesetVersionStatus.PUBLISHED]
        ).order_by("-number"):
            choices.append((f"rulesetVersion:{version.pk}", f"Ruleset {ruleset.name} — pin v{version.number}"))
    published = set(
        RulesetVersion.objects.filter(published_model__isnull=False).values_list("published_model_id", flat=True)
    )
    for model in PredictiveModel.objects.filter(partner=partner).exclude(pk__in=published).order_by("name", "-version"):
        choices.append((f"model:{model.pk}", f"Model {model.name} — pin v{model.version}"))
        choices.append((f"modelFollow:{model.pk}", f"Model {model.name} — follow the latest active version"))
    return choices


class StepForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "—")] + list(StepKind.choices), required=False)
    target = forms.ChoiceField(required=False)
    result_field = forms.ChoiceField(required=False, label="Result the flow reads")

    def __init__(self, *args, partner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [("", "—")] + target_choices(partner)
        self.fields["result_field"].choices = _dictionary_choices(
            (DataType.STRING, DataType.LIST, DataType.NUMBER, DataType.INTEGER, DataType.BOOLEAN)
        )


StepFormSet = forms.formset_factory(StepForm, extra=1, can_delete=True, max_num=20)
BlankStepFormSet = forms.formset_factory(StepForm, extra=3, can_delete=True, max_num=20)


class FlowCreateForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    is_default = forms.BooleanField(
        label="Default flow (decides requests that name no flow)", required=False, initial=False
    )


def step_initial(step):
    if step.ruleset_version_id:
        target = f"rulesetVersion:{step.ruleset_version_id}"
    elif step.ruleset_id:
        target = f"ruleset:{step.ruleset_id}"
    else:
        target = f"{'modelFollow' if step.binding == 'follow' else 'model'}:{step.model_id}"
    return {"kind": step.kind, "target": target, "result_field": step.result_field}


def step_payload(data):
    """A step form's cleaned data as flow_version_steps_replace takes it."""
    key, _, identifier = data["target"].partition(":")
    step = {"kind": data["kind"], "resultField": data.get("result_field") or ""}
    if key == "modelFollow":
        step.update(model=identifier, binding="follow")
    else:
        step[key] = identifier
    return step
