"""Bounds on what one evaluation may produce, checked at load where the artifact fixes them."""

import re

from .errors import ModelLoadError

# A string function's result is bounded, so an artifact cannot turn one evaluation into megabytes
# (formatNumber "%5000000d", concat of a concat of ...): 64k characters is far beyond any real label.
MAX_STRING_RESULT = 65_536
_FORMAT_SPECIFIER = re.compile(r"%[-#0 +]*(\d*)(?:\.(\d*))?")
_EXPRESSION_TAGS = (
    "Constant",
    "FieldRef",
    "NormContinuous",
    "NormDiscrete",
    "Discretize",
    "MapValues",
    "Apply",
    "TextIndex",
    "Aggregate",
    "Lag",
)


def check_format_pattern(pattern, node, error_class):
    """Raise `error_class` when formatting with `pattern` could give more than MAX_STRING_RESULT characters."""
    widths = [int(number) for match in _FORMAT_SPECIFIER.finditer(pattern) for number in match.groups() if number]
    if len(pattern) > MAX_STRING_RESULT or any(width > MAX_STRING_RESULT for width in widths):
        raise error_class(
            f"formatNumber pattern {pattern[:40]!r} would produce more than {MAX_STRING_RESULT:,} characters",
            node.where(),
        )


def check_static_format_patterns(root):
    """Refuse a constant formatNumber pattern over the limit wherever it is, before any engine (pypmml
    included, when a model may fall back to it) is given the document."""
    stack = [root]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.tag == "Apply" and node.get("function") == "formatNumber":
            expressions = [child for child in node.children if child.tag in _EXPRESSION_TAGS]
            if len(expressions) == 2 and expressions[1].tag == "Constant":
                check_format_pattern(expressions[1].text, node, ModelLoadError)
