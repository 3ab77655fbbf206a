"""DefineFunction: user functions of the TransformationDictionary, inlined at their Apply."""

from ..errors import ModelLoadError, UnsupportedElement
from .expressions import Expr, Scope, compile_expression, expression_child


def compile_define_functions(nodes, scope):
    for node in nodes:
        name = node.get("name")
        parameters = [(p.get("name"), p.get("dataType", "double")) for p in node.findall("ParameterField")]
        body = expression_child(node)
        if body is None:
            raise ModelLoadError("DefineFunction has no expression", node.where())
        inner = Scope({p: t for p, t in parameters}, scope.functions)
        _constants_naming_parameters_to_references(body, {p for p, _ in parameters})
        try:
            compiled = compile_expression(body, inner)
        except UnsupportedElement as error:
            # Exporters (SAS) declare helper functions they never call: fail only if one is used.
            scope.functions[name] = _unsupported(error)
            continue
        scope.functions[name] = _user_function(compiled, parameters, node.get("dataType"))


def _unsupported(error):
    def build(arguments, node):
        raise error

    return build


def _user_function(body, parameters, pmml_type):
    names = [p for p, _ in parameters]

    def build(arguments, node):
        if len(arguments) != len(names):
            raise ModelLoadError(f"function expects {len(names)} arguments, got {len(arguments)}", node.where())

        def scalar(env):
            return body.scalar({n: a.scalar(env) for n, a in zip(names, arguments)})

        def vector(env, n):
            return body.vector({p: a.vector(env, n) for p, a in zip(names, arguments)}, n)

        fields = frozenset().union(*(a.fields for a in arguments)) if arguments else frozenset()
        return Expr(pmml_type or body.pmml_type, scalar, vector, fields)

    return build


def _constants_naming_parameters_to_references(node, parameters):
    """SAS Enterprise Miner writes <Constant>FMTWIDTH</Constant> inside a function whose parameter
    is FMTWIDTH, meaning the parameter; read such an untyped constant as a reference to it."""
    for child in node.children:
        if child.tag == "Constant" and child.get("dataType") is None and child.text in parameters:
            child.tag = "FieldRef"
            child.attrib = {"field": child.text}
        else:
            _constants_naming_parameters_to_references(child, parameters)
