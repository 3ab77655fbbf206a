from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework_json_api import renderers


class _SingleResource(ReturnDict):
    """One resource whose attributes include `results`.

    The JSON:API renderer takes any `results` key for a paginated list; an insight's outputs are
    called `results` by the API contract, so that key is hidden from the check — not from the output.
    """

    def __contains__(self, key):
        return key != "results" and super().__contains__(key)


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        serializer = getattr(data, "serializer", None)
        if serializer is not None and not getattr(serializer, "many", False) and dict.__contains__(data, "results"):
            data = _SingleResource(data, serializer=serializer)
        return super().render(data, accepted_media_type, renderer_context)
