"""The API's JSON:API renderer, writing its documents with orjson.

A decision's document (its steps, arguments, results and explanations) is the largest thing most
requests write; orjson writes it several times faster than the standard library's encoder, with the
same output as DRF's compact JSON: UTF-8 as is, no whitespace, U+2028 and U+2029 escaped, and
every value the standard encoder would not know (datetimes, Decimals, lazy strings, sets) handed to
DRF's own encoder, so it is written exactly as DRF writes it. Numbers may be spelled differently
(`1e16`, not `1e+16`) but parse to the same value. Whatever orjson cannot write (an integer beyond
64 bits, a key that is not a string) and any indented answer go through DRF's renderer unchanged.
A NaN or an infinity, which strict JSON has no spelling for, is written as null instead of failing
the request.
"""

import orjson
from rest_framework import renderers as drf_renderers
from rest_framework.utils import encoders
from rest_framework.utils.serializer_helpers import ReturnDict
from rest_framework_json_api import renderers

_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class FastJSONRenderer(drf_renderers.JSONRenderer):
    """DRF's JSONRenderer with orjson writing the compact form (see the module docstring)."""

    _encoder = encoders.JSONEncoder()
    _options = orjson.OPT_PASSTHROUGH_DATETIME  # datetimes as DRF writes them ("Z" for UTC)

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        if self.ensure_ascii or not self.compact or self.get_indent(accepted_media_type, renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        try:
            written = orjson.dumps(data, default=self._encoder.default, option=self._options)
        except orjson.JSONEncodeError:
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in written or _PARAGRAPH_SEPARATOR in written:
            written = written.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return written


class _SingleResource(ReturnDict):
    """One resource whose attributes include `results`.

    The JSON:API renderer takes any `results` key for a paginated list; an insight's outputs are
    called `results` by the API contract, so that key is hidden from the check — not from the output.
    """

    def __contains__(self, key):
        return key != "results" and super().__contains__(key)


class JSONRenderer(renderers.JSONRenderer, FastJSONRenderer):
    def render(self, data, accepted_media_type=None, renderer_context=None):
        serializer = getattr(data, "serializer", None)
        if serializer is not None and not getattr(serializer, "many", False) and dict.__contains__(data, "results"):
            data = _SingleResource(data, serializer=serializer)
        return super().render(data, accepted_media_type, renderer_context)
