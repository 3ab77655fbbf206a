"""Role names as people read them on the product's pages ("rule_approver" -> "Rule approver")."""

from django import template

register = template.Library()


@register.filter
def role_label(name):
    return str(name).replace("_", " ").capitalize()
