from rest_framework_json_api import serializers


class ResultsAttributeMixin:
    """Allow an attribute named `results` (see core.api.renderers)."""

    _reserved_field_names = serializers.ReservedFieldNamesMixin._reserved_field_names - {"results"}
