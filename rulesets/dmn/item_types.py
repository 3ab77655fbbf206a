"""DMN types: item definitions as FEEL type nodes, and the conformance/coercion of values to them.

A decision, BKM parameter or decision-service output whose value does not conform to its
declared type is null (DMN 1.5, 10.3.2.9.4), after the two implicit conversions the standard
allows: a singleton list to its item, and an item to a singleton list.
"""

from .errors import ModelLoadError
from .feel import FeelSyntaxError, compile_feel_unary_tests
from .feel.types import BUILT_IN, instance_check
from .fields import strip_type_prefix

ANY = ("type", "Any")
MAX_TYPE_DEPTH = 20


class TypeRegistry:
    """The model's item definitions, resolved once into type nodes (name -> node)."""

    def __init__(self, item_definitions, known_names=()):
        self.item_definitions = item_definitions
        self.known_names = known_names
        self.nodes = {}
        for name in item_definitions:
            self.nodes[name] = self._item_node(item_definitions[name], 0)

    def type_of(self, type_ref):
        """The type node of a typeRef, or None when any value goes (no typeRef, `Any`, unknown name)."""
        name = strip_type_prefix(type_ref)
        if not name or name == "Any":
            return None
        if name in BUILT_IN:
            return ("type", name)
        return self.nodes.get(name)

    def _item_node(self, item, depth):
        if depth > MAX_TYPE_DEPTH:
            raise ModelLoadError("item definition %r nests deeper than %d levels" % (item.name, MAX_TYPE_DEPTH))
        if item.function_item is not None:
            parameters, output = item.function_item
            node = (
                "function type",
                [self._reference(t, depth) or ANY for t in parameters],
                self._reference(output, depth) or ANY,
            )
        elif item.components:
            node = (
                "context type",
                [(component.name, self._item_node(component, depth + 1) or ANY) for component in item.components],
            )
        else:
            node = self._reference(item.type_ref, depth)
        if item.allowed_values and node is not None:
            try:
                _, test = compile_feel_unary_tests(item.allowed_values, self.known_names)
            except FeelSyntaxError as error:
                raise ModelLoadError(
                    "FEEL syntax error in the allowed values of item definition %r: %s" % (item.name, error)
                ) from None
            node = ("constrained", node, lambda value, test=test: test(value, {}))
        if item.is_collection:
            node = ("list type", node or ANY)
        return node

    def _reference(self, type_ref, depth):
        name = strip_type_prefix(type_ref)
        if not name or name == "Any":
            return None
        if name in BUILT_IN:
            return ("type", name)
        item = self.item_definitions.get(name)
        if item is None:
            return None  # a type of an imported model or a typo: not checked
        return self._item_node(item, depth + 1)


def coerce(value, node, scope=None):
    """`value` as a value of type `node` (None: any), or null when it does not conform."""
    if node is None or value is None:
        return value
    if instance_check(value, node, scope):
        return value
    if node[0] == "list type" and type(value) is not list and instance_check(value, node[1], scope):
        return [value]
    if type(value) is list and len(value) == 1 and node[0] != "list type" and instance_check(value[0], node, scope):
        return value[0]
    return None
