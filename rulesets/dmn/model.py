"""The native DMN model: a requirements graph of compiled decisions, BKMs and decision services."""
from . import reader
from .errors import EvaluationError, ModelLoadError
from .feel import FeelSyntaxError, compile_feel_expression, vocabulary
from .feel.values import Function, kind_of
from .fields import strip_type_prefix
from .tables import KIND_OF_TYPE, DecisionTable, InputProblem
from .values import to_feel
from .visibility import alias_value, visible_aliases

ENGINE_VERSION = '0.1.0'


class DecisionResult(dict):
    """`{decision name: value}` plus which inputs were null or mistyped where a table read them.

    `input_problems` is a list of InputProblem(decision, input, problem) with problem "null" or
    "mistyped"; `null_inputs` / `mistyped_inputs` are the input names alone.
    """
    __slots__ = ('input_problems',)

    @property
    def null_inputs(self):
        return tuple(dict.fromkeys(p.input for p in self.input_problems if p.problem == 'null'))

    @property
    def mistyped_inputs(self):
        return tuple(dict.fromkeys(p.input for p in self.input_problems if p.problem == 'mistyped'))


def _collect_names(definitions):
    names = set()

    def components(item):
        for component in item.components:
            names.add(component.name)
            components(component)

    for item in definitions.item_definitions.values():
        components(item)
    for group in (definitions.input_data, definitions.decisions, definitions.knowledge_models,
                  definitions.decision_services):
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
    for decision in definitions.decisions:
        visit(decision.expression)
    for model in definitions.knowledge_models:
        if model.function:
            visit(model.function)
    return names


class Compiler:
    """Turns reader nodes into `evaluate(scope, problems)` callables, once, at load time."""

    def __init__(self, definitions, aliases=None):
        self.definitions = definitions
        self.names = _collect_names(definitions) | {a for seen in (aliases or {}).values() for a in seen}
        self.known_names = vocabulary(self.names)
        self.input_types = {d.name: strip_type_prefix(d.type_ref) for d in definitions.input_data}

    def expression(self, node, owner, available):
        where = owner
        if node is None:
            raise ModelLoadError('%s has no value expression' % owner)
        if isinstance(node, reader.LiteralExpression):
            try:
                _, evaluate = compile_feel_expression(node.text or 'null', self.known_names)
            except FeelSyntaxError as error:
                raise ModelLoadError('FEEL syntax error: %s' % error, '%s, line %s' % (where, node.line)) from None
            return lambda scope, problems: evaluate(scope)
        if isinstance(node, reader.DecisionTable):
            table = DecisionTable(node, owner.split("'")[1] if "'" in owner else owner, self.known_names,
                                  available, self.input_types, self.definitions.item_definitions)
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
                raise ModelLoadError('FEEL syntax error in invocation: %s' % error, where) from None
            bindings = [(name, self._plain(bound, owner, available) if bound is not None else None)
                        for name, bound in node.bindings]

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

            def define(scope, problems):
                def run(*arguments):
                    local = dict(scope)
                    local.update(zip(parameters, arguments))
                    return body(local, problems)
                return Function(parameters, run)
            return define
        if isinstance(node, reader.ListExpression):
            items = [self._plain(item, owner, available) for item in node.items]
            return lambda scope, problems: [item(scope, problems) for item in items]
        if isinstance(node, reader.Relation):
            rows = [[self._plain(cell, owner, available) for cell in row] for row in node.rows]
            columns = node.columns
            return lambda scope, problems: [{c: cell(scope, problems) for c, cell in zip(columns, row)}
                                            for row in rows]
        raise ModelLoadError('unsupported expression %s' % type(node).__name__, where)

    def _plain(self, node, owner, available):
        compiled = self.expression(node, owner, available)
        return compiled[0] if isinstance(compiled, tuple) else compiled


class NativeModel:
    engine_name = 'dmn-native'
    engine_version = ENGINE_VERSION

    def __init__(self, definitions, fields):
        self.sha256 = definitions.sha256
        self.fields = list(fields)
        self.warnings = list(definitions.warnings)
        self._definitions = definitions
        # output names of required decision tables, per decision (as Camunda resolves them)
        self._aliases = {name: seen for name, seen in visible_aliases(definitions).items() if seen}
        compiler = Compiler(definitions, self._aliases)
        by_id = {element.id: element for group in (definitions.decisions, definitions.input_data,
                                                    definitions.knowledge_models) for element in group}
        self._by_name = {d.name: d for d in definitions.decisions}
        self._input_names = [d.name for d in definitions.input_data]
        self._input_kinds = {d.name: KIND_OF_TYPE.get(strip_type_prefix(d.type_ref) or '') for d in
                             definitions.input_data}
        self._decision_kinds = {d.name: KIND_OF_TYPE.get(strip_type_prefix(d.type_ref) or '') for d in
                                definitions.decisions}
        all_names = compiler.names | {'item'}
        self._knowledge = {}
        self._knowledge_scope = {}
        for model in definitions.knowledge_models:
            if model.function is None:
                raise ModelLoadError('business knowledge model %r has no encapsulated logic' % model.name,
                                     'line %s' % model.line)
            parameters = [name for name, _ in model.function.parameters]
            body = compiler._plain(model.function.body, 'business knowledge model %r' % model.name,
                                   all_names)
            self._knowledge[model.name] = Function(parameters, self._bkm_runner(parameters, body))
        self._knowledge_scope.update(self._knowledge)
        self._evaluators, self._tables = {}, {}
        for decision in definitions.decisions:
            available = {by_id[r].name for r in decision.required_decisions + decision.required_inputs
                         + decision.required_knowledge if r in by_id} | set(self._knowledge) | all_names \
                | set(self._aliases.get(decision.name, ()))
            if decision.expression is None:
                self.warnings.append('decision %r has no value expression: its value is taken from the inputs'
                                     % decision.name)
                self._evaluators[decision.name] = lambda scope, problems, name=decision.name: scope.get(name)
                continue
            compiled = compiler.expression(decision.expression, 'decision %r' % decision.name, available)
            if isinstance(compiled, tuple):
                self._evaluators[decision.name], self._tables[decision.name] = compiled
            else:
                self._evaluators[decision.name] = compiled
        self._requirements = {d.name: [by_id[r].name for r in d.required_decisions] for d in definitions.decisions}
        self._orders = {}
        self._all_order = self._order(None)
        self._services = {}
        for service in definitions.decision_services:
            self._services[service.name] = service
            self._knowledge_scope[service.name] = self._service_function(service)

    def _bkm_runner(self, parameters, body):
        knowledge = self._knowledge_scope

        def run(*arguments):
            local = dict(knowledge)
            local.update(zip(parameters, arguments))
            return body(local, None)
        return run

    def _service_function(self, service):
        names = [self._definitions.element_name(i) for i in service.input_decisions + service.input_data]
        outputs = [self._definitions.element_name(i) for i in service.output_decisions]

        def run(*arguments):
            inputs = dict(zip(names, arguments))
            result = self._evaluate_service(service, inputs)
            return result[outputs[0]] if len(outputs) == 1 else result
        return Function(names, run)

    def _order(self, target):
        if target in self._orders:
            return self._orders[target]
        order, seen = [], set()

        def visit(name, trail):
            if name in trail:
                raise ModelLoadError('decision %r requires itself through %s' % (name, ' -> '.join(trail)))
            if name in seen:
                return
            for required in self._requirements.get(name, []):
                visit(required, trail + (name,))
            seen.add(name)
            order.append(name)
        for name in ([target] if target else [d.name for d in self._definitions.decisions]):
            visit(name, ())
        self._orders[target] = order
        return order

    # ---------------------------------------------------------------- single record
    def _scope(self, inputs, problems):
        scope = dict(self._knowledge_scope)
        for name, value in inputs.items():
            value = to_feel(value)
            expected = self._input_kinds.get(name)
            if expected is not None and value is not None and kind_of(value) not in (expected, 'list', 'context'):
                problems.append(InputProblem(None, name, 'mistyped'))
            scope[name] = value
        for name in self._input_names:
            if scope.get(name) is None:
                scope[name] = None
        return scope

    def evaluate(self, inputs, decision=None):
        if decision is not None and decision not in self._evaluators:
            if decision in self._services:
                return self._evaluate_service(self._services[decision], inputs)
            raise EvaluationError('the model has no decision named %r' % decision)
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
            raise EvaluationError('recursion too deep', 'decision %r' % name) from None
        expected = self._decision_kinds.get(name)
        if expected is not None and value is not None and kind_of(value) not in (expected, 'list', 'context'):
            return None  # FEEL: a value that does not conform to the decision's type is null
        return value

    def _evaluate_service(self, service, inputs):
        problems = []
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
        result.input_problems = problems
        return result

    # ---------------------------------------------------------------- batch
    def evaluate_batch(self, frame):
        from .batch import evaluate_frame
        return evaluate_frame(self, frame)
