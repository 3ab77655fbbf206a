from rest_framework_json_api import serializers


class ResultsAttributeMixin:
    """Allow an attribute named `results` (see core.api.renderers)."""

    _reserved_field_names = serializers.ReservedFieldNamesMixin._reserved_field_names - {"results"}


class StrictBooleanField(serializers.BooleanField):
    """A JSON boolean and nothing else: DRF's field also takes 0, 1, "yes", "on"…, which the schema says are not booleans."""

    default_error_messages = {"invalid": "Must be true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class StrictCharField(serializers.CharField):
    """A JSON string and nothing else: DRF's field also takes numbers (and turns 0 into "0"), which the schema says are not strings."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)
