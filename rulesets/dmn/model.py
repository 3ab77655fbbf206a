"""The native DMN model: a requirements graph of compiled decisions, BKMs and decision services."""

import dataclasses

from . import reader
from .errors import EvaluationError, ModelLoadError
from .feel import FeelSyntaxError, compile_feel_expression, vocabulary
from .feel.errors import FeelEvaluationError
from .feel.external import guarded, java_function
from .feel.limits import start_evaluation
from .feel.types import TYPES_KEY
from .feel.values import Function, kind_of
from .fields import strip_type_prefix
from .item_types import TypeRegistry, coerce
from .tables import KIND_OF_TYPE, DecisionTable, InputProblem
from .values import to_feel
from .visibility import alias_value, visible_aliases

ENGINE_VERSION = "0.2.0"
MAX_IMPORT_DEPTH = 8


class DecisionResult(dict):
    """`{decision name: value}` plus which inputs were null or mistyped where a table read them.

    `input_problems` is a list of InputProblem(decision, input, problem) with problem "null" or
    "mistyped"; `null_inputs` / `mistyped_inputs` are the input names alone.
    """

    __slots__ = ("input_problems",)

    @property
    def null_inputs(self):
        return tuple(dict.fromkeys(p.input for p in self.input_problems if p.problem == "null"))

    @property
    def mistyped_inputs(self):
        return tuple(dict.fromkeys(p.input for p in self.input_problems if p.problem == "mistyped"))


def _collect_names(definitions):
    names = set()

    def components(item):
        for component in item.components:
            names.add(component.name)
            components(component)

    for item in definitions.item_definitions.values():
        components(item)
    for group in (
        definitions.input_data,
        definitions.decisions,
        definitions.knowledge_models,
        definitions.decision_services,
    ):
        names.update(element.name for element in group)

    def visit(expression):
        if isinstance(expression, reader.Context):
            for entry in expression.entries:
                if entry.name:
                    names.add(entry.name)
                visit(entry.expression)
        elif isinstance(expression, reader.FunctionDefinition):
            names.update(name for name, _ in expression.parameters)
            visit(expression.body)
        elif isinstance(expression, reader.Invocation):
            names.update(name for name, _ in expression.bindings if name)
            for _, bound in expression.bindings:
                visit(bound)
        elif isinstance(expression, reader.ListExpression):
            for item in expression.items:
                visit(item)
        elif isinstance(expression, reader.Relation):
            names.update(expression.columns)
        elif isinstance(expression, reader.Conditional):
            for part in (expression.condition, expression.then, expression.otherwise):
                visit(part)
        elif isinstance(expression, reader.Filter):
            visit(expression.source)
            visit(expression.match)
        elif isinstance(expression, reader.Iterator):
            names.add(expression.variable)
            visit(expression.source)
            visit(expression.body)

    for decision in definitions.decisions:
        visit(decision.expression)
    for model in definitions.knowledge_models:
        if model.function:
            visit(model.function)
    return names


class Compiler:
    """Turns reader nodes into `evaluate(scope, problems)` callables, once, at load time."""

    def __init__(self, definitions, imports=(), aliases=None):
        self.definitions = definitions
        self.names = _collect_names(definitions) | {a for seen in (aliases or {}).values() for a in seen}
        for prefix, imported in imports:
            self.names.update(prefix + "." + name for name in imported.qualified_names())
        self.known_names = vocabulary(self.names)
        self.input_types = {d.name: strip_type_prefix(d.type_ref) for d in definitions.input_data}
        self.types = TypeRegistry(definitions.item_definitions, self.known_names)
        for prefix, imported in imports:
            self.types.nodes.update((prefix + "." + name, node) for name, node in imported._types.nodes.items())

    def typed_function(self, parameters, body, result_type_ref=None):
        """A FEEL function running `body(local scope, problems)`: arguments that do not conform to
        their parameter's type make the invocation null; the result is coerced to its type."""
        names = [name for name, _ in parameters]
        parameter_types = [self.types.type_of(type_ref) for _, type_ref in parameters]
        result_type = self.types.type_of(result_type_ref)
        checked = any(t is not None for t in parameter_types)

        def make(scope, problems):
            def run(*arguments):
                if checked:
                    coerced = []
                    for argument, expected in zip(arguments, parameter_types):
                        value = coerce(argument, expected)
                        if value is None and argument is not None:
                            return None
                        coerced.append(value)
                    arguments = coerced
                local = dict(scope)
                local.update(zip(names, arguments))
                return coerce(body(local, problems), result_type)

            return Function(names, run, types=parameter_types if checked else None)

        return make

    def expression(self, node, owner, available):
        where = owner
        if node is None:
            raise ModelLoadError("%s has no value expression" % owner)
        if isinstance(node, reader.LiteralExpression):
            try:
                _, evaluate = compile_feel_expression(node.text or "null", self.known_names)
            except FeelSyntaxError as error:
                raise ModelLoadError("FEEL syntax error: %s" % error, "%s, line %s" % (where, node.line)) from None
            return lambda scope, problems: evaluate(scope)
        if isinstance(node, reader.DecisionTable):
            table = DecisionTable(
                node,
                owner.split("'")[1] if "'" in owner else owner,
                self.known_names,
                available,
                self.input_types,
                self.definitions.item_definitions,
            )
            return table.evaluate, table
        if isinstance(node, reader.Context):
            entries = []
            local_available = set(available)
            for entry in node.entries:
                entries.append((entry.name, self._plain(entry.expression, owner, local_available)))
                if entry.name:
                    local_available.add(entry.name)

            def context(scope, problems):
                local = dict(scope)
                result = {}
                for name, evaluate in entries:
                    value = evaluate(local, problems)
                    if name is None:
                        return value
                    result[name] = local[name] = value
                return result

            return context
        if isinstance(node, reader.Invocation):
            try:
                _, callee = compile_feel_expression(node.callee, self.known_names)
            except FeelSyntaxError as error:
                raise ModelLoadError("FEEL syntax error in invocation: %s" % error, where) from None
            bindings = [
                (name, self._plain(bound, owner, available) if bound is not None else None)
                for name, bound in node.bindings
            ]

            def invocation(scope, problems):
                function = callee(scope)
                if not isinstance(function, Function):
                    return None
                named = {name: (evaluate(scope, problems) if evaluate else None) for name, evaluate in bindings}
                return function.invoke([], named)

            return invocation
        if isinstance(node, reader.FunctionDefinition):
            parameters = [name for name, _ in node.parameters]
            body = self._plain(node.body, owner, set(available) | set(parameters))
            if node.kind and node.kind.upper() != "FEEL":
                return self._external_function(node.kind, parameters, body)
            return self.typed_function(node.parameters, body, getattr(node.body, "type_ref", None))
        if isinstance(node, reader.ListExpression):
            items = [self._plain(item, owner, available) for item in node.items]
            return lambda scope, problems: [item(scope, problems) for item in items]
        if isinstance(node, reader.Relation):
            rows = [[self._plain(cell, owner, available) for cell in row] for row in node.rows]
            columns = node.columns
            return lambda scope, problems: [{c: cell(scope, problems) for c, cell in zip(columns, row)} for row in rows]
        if isinstance(node, reader.Conditional):
            condition, then, otherwise = (
                self._plain(part, owner, available) for part in (node.condition, node.then, node.otherwise)
            )

            def conditional(scope, problems):
                verdict = condition(scope, problems)
                if verdict is True:
                    return then(scope, problems)
                return otherwise(scope, problems) if verdict is None or verdict is False else None

            return conditional
        if isinstance(node, reader.Filter):
            source = self._plain(node.source, owner, available)
            match = self._plain(node.match, owner, set(available) | {"item"})

            def filtered(scope, problems):
                items = source(scope, problems)
                if items is None:
                    return None
                kept = []
                for item in items if type(items) is list else [items]:
                    local = dict(scope)
                    if type(item) is dict:
                        local.update(item)
                    local["item"] = item
                    verdict = match(local, problems)
                    if verdict is True:
                        kept.append(item)
                    elif verdict is not False and verdict is not None:
                        return None  # a match that is not a boolean: the boxed filter is null
                return kept

            return filtered
        if isinstance(node, reader.Iterator):
            return self._iterator(node, owner, available)
        raise ModelLoadError("unsupported expression %s" % type(node).__name__, where)

    def _iterator(self, node, owner, available):
        source = self._plain(node.source, owner, available)
        body = self._plain(node.body, owner, set(available) | {node.variable})
        variable, kind = node.variable, node.kind

        def iterate(scope, problems):
            items = source(scope, problems)
            if items is None:
                return None
            results = []
            for item in items if type(items) is list else [items]:
                local = dict(scope)
                local[variable] = item
                results.append(body(local, problems))
            if kind == "for":
                return results
            if any(type(r) is not bool and r is not None for r in results):
                return None
            if kind == "some":
                return True if True in results else (False if all(r is False for r in results) else None)
            return False if False in results else (True if all(r is True for r in results) else None)

        return iterate

    @staticmethod
    def _external_function(kind, parameters, body):
        """A boxed Java function: a listed java.lang static method (feel/external.py); PMML and others null."""

        def define(scope, problems):
            function = None
            if kind.upper() == "JAVA":
                specification = body(scope, problems)
                function = java_function(
                    {"java": specification}
                    if type(specification) is dict and "java" not in specification
                    else specification
                )
            return Function(parameters, guarded(function) if function else (lambda *arguments: None))

        return define

    def _plain(self, node, owner, available):
        compiled = self.expression(node, owner, available)
        return compiled[0] if isinstance(compiled, tuple) else compiled


class NativeModel:
    engine_name = "dmn-native"
    engine_version = ENGINE_VERSION

    def __init__(self, definitions, fields, import_resolver=None, _importing=()):
        self.sha256 = definitions.sha256
        self.fields = list(fields)
        self.warnings = list(definitions.warnings)
        self._definitions = definitions
        self._imports = self._load_imports(definitions, import_resolver, _importing)
        if self._imports:
            self.fields = self._with_imported_arguments(self.fields, self._imports)
        # output names of required decision tables, per decision (as Camunda resolves them)
        self._aliases = {name: seen for name, seen in visible_aliases(definitions).items() if seen}
        compiler = Compiler(definitions, self._imports, self._aliases)
        by_id = {
            element.id: element
            for group in (
                definitions.decisions,
                definitions.input_data,
                definitions.knowledge_models,
                definitions.decision_services,
            )
            for element in group
        }
        self._by_name = {d.name: d for d in definitions.decisions}
        self._input_names = [d.name for d in definitions.input_data]
        self._input_kinds = {
            d.name: KIND_OF_TYPE.get(strip_type_prefix(d.type_ref) or "") for d in definitions.input_data
        }
        all_names = compiler.names | {"item"}
        self._knowledge = {}
        self._knowledge_scope = {}
        for model in definitions.knowledge_models:
            if model.function is None:
                raise ModelLoadError(
                    "business knowledge model %r has no encapsulated logic" % model.name, "line %s" % model.line
                )
            body = compiler._plain(model.function.body, "business knowledge model %r" % model.name, all_names)
            if model.function.kind and model.function.kind.upper() != "FEEL":
                self._knowledge[model.name] = compiler._external_function(
                    model.function.kind, [n for n, _ in model.function.parameters], body
                )(self._knowledge_scope, None)
                continue
            make = compiler.typed_function(
                model.function.parameters, self._bkm_body(body), getattr(model.function.body, "type_ref", None)
            )
            self._knowledge[model.name] = make(self._knowledge_scope, None)
        self._knowledge_scope.update(self._knowledge)
        for prefix, imported in self._imports:
            self._knowledge_scope.update(
                (prefix + "." + name, function) for name, function in imported.qualified_functions().items()
            )
        self._knowledge_scope[TYPES_KEY] = compiler.types.nodes
        self._types = compiler.types
        self._decision_types = {d.name: compiler.types.type_of(d.type_ref) for d in definitions.decisions}
        self._element_types = {
            e.id: (e.name, compiler.types.type_of(e.type_ref)) for e in definitions.decisions + definitions.input_data
        }
        self._evaluators, self._tables = {}, {}
        for decision in definitions.decisions:
            available = (
                {
                    by_id[r].name
                    for r in decision.required_decisions + decision.required_inputs + decision.required_knowledge
                    if r in by_id
                }
                | set(self._knowledge)
                | all_names
                | set(self._aliases.get(decision.name, ()))
            )
            if decision.expression is None:
                self.warnings.append(
                    "decision %r has no value expression: its value is taken from the inputs" % decision.name
                )
                self._evaluators[decision.name] = lambda scope, problems, name=decision.name: scope.get(name)
                continue
            compiled = compiler.expression(decision.expression, "decision %r" % decision.name, available)
            if isinstance(compiled, tuple):
                self._evaluators[decision.name], self._tables[decision.name] = compiled
            else:
                self._evaluators[decision.name] = compiled
        self._requirements = {
            d.name: [by_id[r].name for r in d.required_decisions if r in by_id] for d in definitions.decisions
        }
        self._orders = {}
        self._all_order = self._order(None)
        self._services = {}
        for service in definitions.decision_services:
            self._services[service.name] = service
            self._knowledge_scope[service.name] = self._service_function(service)

    # ---------------------------------------------------------------- imports
    @staticmethod
    def _load_imports(definitions, import_resolver, importing):
        """[(prefix, NativeModel)] of the DMN models this one imports, found by namespace through
        `import_resolver(namespace)` (a path, XML text or bytes, or None): the caller decides where
        models may come from (the same upload, the partner's registry); a locationURI is never read."""
        from .fields import model_fields
        from .reader import read_definitions

        imports = []
        for declared in definitions.imports:
            if declared.import_type and "dmn" not in declared.import_type.lower():
                raise ModelLoadError(
                    "import %r has type %r: only DMN models can be imported" % (declared.name, declared.import_type),
                    "line %s" % declared.line,
                )
            if declared.namespace in importing or len(importing) >= MAX_IMPORT_DEPTH:
                raise ModelLoadError(
                    "import %r (namespace %s) makes a cycle or nests deeper than %d models"
                    % (declared.name, declared.namespace, MAX_IMPORT_DEPTH),
                    "line %s" % declared.line,
                )
            source = import_resolver(declared.namespace) if import_resolver else None
            if source is None:
                raise ModelLoadError(
                    "the model imports namespace %s as %r, and no model with that namespace was "
                    "given with it (upload the imported model too)" % (declared.namespace, declared.name),
                    "line %s" % declared.line,
                )
            imported_definitions = read_definitions(source)
            imported = NativeModel(
                imported_definitions,
                model_fields(imported_definitions),
                import_resolver,
                importing + (definitions.namespace,),
            )
            imports.append((declared.name, imported))
        return imports

    @staticmethod
    def _with_imported_arguments(fields, imports):
        """`fields` with the input data of imported models as arguments named `prefix.name` (as
        `evaluate` takes them), after the model's own arguments: a caller mapping arguments sees
        everything the model reads."""
        taken = {field.name for field in fields}
        imported = []
        for prefix, model in imports:
            for field in model.fields:
                name = prefix + "." + field.name
                if field.field_type == "argument" and name not in taken:
                    taken.add(name)
                    imported.append(dataclasses.replace(field, name=name))
        arguments = [field for field in fields if field.field_type == "argument"]
        return arguments + imported + [field for field in fields if field.field_type != "argument"]

    def qualified_names(self):
        """Names of this model's elements and item definitions as an importer sees them (without its prefix)."""
        names = {
            d.name
            for group in (
                self._definitions.decisions,
                self._definitions.input_data,
                self._definitions.knowledge_models,
                self._definitions.decision_services,
            )
            for d in group
        } | set(self._definitions.item_definitions)
        for prefix, imported in self._imports:
            names.update(prefix + "." + name for name in imported.qualified_names())
        return names

    def qualified_functions(self):
        functions = {name: value for name, value in self._knowledge_scope.items() if isinstance(value, Function)}
        return functions

    def imported_values(self, inputs):
        """{qualified name: value} of every decision and input data of the imported models, for `inputs`
        (an imported input data is given by its qualified or plain name)."""
        values = {}
        for prefix, imported in self._imports:
            own = {name[len(prefix) + 1 :]: value for name, value in inputs.items() if name.startswith(prefix + ".")}
            given = dict(inputs, **own)
            result = imported.evaluate(given)
            values.update((prefix + "." + name, value) for name, value in result.items())
            values.update((prefix + "." + name, to_feel(given.get(name))) for name in imported._input_names)
            values.update((prefix + "." + name, value) for name, value in imported.imported_values(given).items())
        return values

    @staticmethod
    def _bkm_body(body):
        def run(local, problems):
            return body(local, None)

        return run

    def _service_function(self, service):
        """A decision service as a FEEL function: parameters are its input data then its input
        decisions; an argument not conforming to the element's type makes the invocation null."""
        elements = {e.id: e for group in (self._definitions.input_data, self._definitions.decisions) for e in group}
        parameters = [elements[i] for i in service.input_data + service.input_decisions if i in elements]
        names = [element.name for element in parameters]
        types = [self._types.type_of(element.type_ref) for element in parameters]
        outputs = [self._definitions.element_name(i) for i in service.output_decisions]
        result_type = self._types.type_of(service.type_ref)
        if result_type is not None and result_type[0] == "function type":  # the service's own signature
            result_type = result_type[2] if result_type[2] != ("type", "Any") else None

        def run(*arguments):
            coerced = [
                coerce(argument, expected, self._knowledge_scope) for argument, expected in zip(arguments, types)
            ]
            if any(a is None and b is not None for a, b in zip(coerced, arguments)):
                return None
            result = self._evaluate_service(service, dict(zip(names, coerced)))
            value = result[outputs[0]] if len(outputs) == 1 else dict(result)
            return coerce(value, result_type, self._knowledge_scope)

        return Function(names, run)

    def _order(self, target):
        if target in self._orders:
            return self._orders[target]
        order, seen = [], set()

        def visit(name, trail):
            if name in trail:
                raise ModelLoadError("decision %r requires itself through %s" % (name, " -> ".join(trail)))
            if name in seen:
                return
            for required in self._requirements.get(name, []):
                visit(required, trail + (name,))
            seen.add(name)
            order.append(name)

        for name in [target] if target else [d.name for d in self._definitions.decisions]:
            visit(name, ())
        self._orders[target] = order
        return order

    # ---------------------------------------------------------------- single record
    def _scope(self, inputs, problems):
        scope = dict(self._knowledge_scope)
        if self._imports:
            scope.update(self.imported_values(inputs))
        for name, value in inputs.items():
            value = to_feel(value)
            expected = self._input_kinds.get(name)
            if expected is not None and value is not None and kind_of(value) not in (expected, "list", "context"):
                problems.append(InputProblem(None, name, "mistyped"))
            scope[name] = value
        for name in self._input_names:
            if scope.get(name) is None:
                scope[name] = None
        return scope

    def evaluate(self, inputs, decision=None):
        start_evaluation()
        if decision is not None and decision not in self._evaluators:
            if decision in self._services:
                return self._evaluate_service(self._services[decision], inputs, typed=True)
            raise EvaluationError("the model has no decision named %r" % decision)
        problems = []
        scope = self._scope(inputs, problems)
        order = self._all_order if decision is None else self._order(decision)
        result = DecisionResult()
        for name in order:
            scope[name] = value = self._evaluate_decision(name, scope, problems)
            if decision is None or name == decision:
                result[name] = value
        result.input_problems = problems
        return result

    def _evaluate_decision(self, name, scope, problems):
        aliases = self._aliases.get(name)
        if aliases:
            scope = dict(scope)
            for alias, (required, key) in aliases.items():
                scope[alias] = alias_value(scope.get(required), key)
        try:
            value = self._evaluators[name](scope, problems)
        except EvaluationError:
            raise
        except RecursionError:
            raise EvaluationError("recursion too deep", "decision %r" % name) from None
        except FeelEvaluationError as error:
            raise EvaluationError(str(error), "decision %r" % name) from None
        expected = self._decision_types.get(name)
        if expected is None or value is None:
            return value
        if name in self._tables and type(value) in (list, dict):
            return value  # a table's collected list or multi-output context, typed by its single outputs
        return coerce(value, expected, self._knowledge_scope)  # a value not conforming to the type is null

    def _evaluate_service(self, service, inputs, typed=False):
        problems = []
        if typed:  # invoked from outside: its inputs take their elements' types (mistyped: null)
            inputs = dict(inputs)
            for element_id in service.input_data + service.input_decisions:
                element = self._element_types.get(element_id)
                if element is not None and element[0] in inputs:
                    inputs[element[0]] = coerce(to_feel(inputs[element[0]]), element[1], self._knowledge_scope)
        scope = self._scope(inputs, problems)
        outputs = [self._definitions.element_name(i) for i in service.output_decisions]
        given = {self._definitions.element_name(i) for i in service.input_decisions}
        result = DecisionResult()
        for output in outputs:
            for name in self._order(output):
                if name in given:
                    continue
                if name not in scope or name in self._evaluators and name not in given:
                    scope[name] = self._evaluate_decision(name, scope, problems)
            result[output] = scope[output]
        result_type = self._types.type_of(service.type_ref) if typed else None
        if result_type is not None and result_type[0] == "function type":
            result_type = result_type[2] if result_type[2] != ("type", "Any") else None
        if result_type is not None:  # the service's own type: of its one output, or of the context of them
            if len(outputs) == 1:
                result[outputs[0]] = coerce(result[outputs[0]], result_type, self._knowledge_scope)
            elif coerce(dict(result), result_type, self._knowledge_scope) is None:
                result.update(dict.fromkeys(result))
        result.input_problems = problems
        return result

    # ---------------------------------------------------------------- batch
    def evaluate_batch(self, frame):
        from .batch import evaluate_frame, evaluate_rows

        if self._imports:  # imported decisions are evaluated per record
            return evaluate_rows(self, frame)
        return evaluate_frame(self, frame)
