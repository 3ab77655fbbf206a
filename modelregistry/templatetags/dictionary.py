"""`{% load dictionary %}`: `{{ value|dictionary_format:"annualIncome" }}`, `{{ "annualIncome"|dictionary_label }}`."""

from django import template

from modelregistry import display
from modelregistry.models import DataDictionaryField

register = template.Library()


def _field(name):
    return DataDictionaryField.objects.filter(name=name).first()


@register.filter
def dictionary_format(value, name):
    return display.format_value(_field(name), value)


@register.filter
def dictionary_label(name):
    return display.label_of(_field(name), name)
