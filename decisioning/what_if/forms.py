"""A form built from data-dictionary fields: labels, units, enumerations as selects, bounds on numbers."""

from django import forms

from modelregistry import display
from modelregistry.models import DataType

MAX_TEXT = 200


def _label(field):
    label = display.label_of(field, field.name)
    return f"{label} ({field.unit})" if field.unit else label


def _choices(field):
    labels = field.value_labels or {}
    return [("", "— missing —")] + [(str(value), labels.get(str(value), str(value))) for value in field.allowed_values]


def form_field(field):
    common = {"label": _label(field), "required": False, "help_text": field.description[:200]}
    if field.data_type in (DataType.NUMBER, DataType.INTEGER):
        kind = forms.IntegerField if field.data_type == DataType.INTEGER else forms.FloatField
        bounds = {"min_value": field.minimum, "max_value": field.maximum}
        if field.data_type == DataType.INTEGER:
            bounds = {key: int(value) if value is not None else None for key, value in bounds.items()}
        number = kind(**common, **bounds)
        if field.data_type == DataType.NUMBER:
            number.widget.attrs["step"] = "any"
        return number
    if field.data_type == DataType.BOOLEAN:
        return forms.TypedChoiceField(
            **common,
            choices=[("", "— missing —"), ("true", "Yes"), ("false", "No")],
            coerce=lambda value: value == "true",
            empty_value=None,
        )
    if field.data_type == DataType.DATE:
        return forms.DateField(**common, widget=forms.DateInput(attrs={"type": "date"}))
    if field.allowed_values:
        return forms.ChoiceField(**common, choices=_choices(field))
    return forms.CharField(**common, max_length=MAX_TEXT)


class ApplicationForm(forms.Form):
    """One input per dictionary field, named by the dictionary name; an empty input is a missing value."""

    def __init__(self, dictionary_fields, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dictionary_fields = {field.name: field for field in dictionary_fields}
        for field in dictionary_fields:
            self.fields[field.name] = form_field(field)

    def application(self):
        """The cleaned values by dictionary name, as the API would receive them (dates as ISO text)."""
        values = {}
        for name, value in self.cleaned_data.items():
            if value == "":
                value = None
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            values[name] = value
        return values

    def add_domain_errors(self, errors):
        """ArgumentErrors from the services onto the inputs they name (else onto the form)."""
        for error in errors:
            name = error.field[-1] if error.field else None
            self.add_error(name if name in self.fields else None, error.message)
