"""Which names a decision sees, the way DMN files from Camunda Modeler expect.

Two things Camunda does that the DMN specification leaves to the tool:

- A decision table's output names become variables of every decision that requires it
  (transitively): in Camunda's dinner example the beverages table reads `desiredDish`, the output
  name of the dish decision it requires, not the decision's name.  The value is the matched rule's
  output for a single-hit table, and the list of matched outputs for COLLECT (no aggregation),
  RULE ORDER and OUTPUT ORDER; an aggregated COLLECT gives the aggregate.
- A variable a table reads that no `inputData` declares is simply taken from the caller's
  variables.  Here it becomes an *implicit* input: an argument like a declared one, with a
  warning naming it so the author can declare it.
"""

from . import reader
from .feel import FeelSyntaxError, compile_feel_expression, vocabulary


def output_aliases(decision):
    """{output name: how to read it from the decision's value} for a decision table's outputs.

    The reader is `None` for a single-output table (the value itself), else the output's name
    (a key of each matched rule's context).
    """
    table = decision.expression
    if not isinstance(table, reader.DecisionTable):
        return {}
    outputs = [clause.name for clause in table.outputs]
    if len(outputs) == 1:
        return {outputs[0]: None} if outputs[0] and outputs[0] != decision.name else {}
    return {name: name for name in outputs if name and name != decision.name}


def alias_value(value, key):
    """The value an output name stands for, given its decision's value (see `output_aliases`)."""
    if key is None:
        return value
    if isinstance(value, dict):
        return value.get(key)
    if isinstance(value, list):
        return [item.get(key) if isinstance(item, dict) else None for item in value]
    return None


def required_closure(definitions):
    """{decision name: names of the decisions it requires, directly or not} (cycles tolerated)."""
    by_id = {d.id: d for d in definitions.decisions}
    direct = {d.name: [by_id[r].name for r in d.required_decisions if r in by_id] for d in definitions.decisions}
    closure = {}
    for name in direct:
        seen, stack = [], list(direct[name])
        while stack:
            required = stack.pop()
            if required in seen or required == name:
                continue
            seen.append(required)
            stack.extend(direct.get(required, ()))
        closure[name] = seen
    return closure


def visible_aliases(definitions):
    """{decision name: {output name: (required decision name, key)}} it sees by output name.

    Declared names (input data, decisions, business knowledge models) always win over an alias.
    """
    declared = _declared_names(definitions, explicit_only=True)
    by_name = {d.name: d for d in definitions.decisions}
    visible = {}
    for name, required in required_closure(definitions).items():
        aliases = {}
        for required_name in required:
            for alias, key in output_aliases(by_name[required_name]).items():
                if alias not in declared:
                    aliases.setdefault(alias, (required_name, key))
        visible[name] = aliases
    return visible


def _declared_names(definitions, explicit_only=False):
    return {
        e.name
        for group in (
            definitions.input_data,
            definitions.decisions,
            definitions.knowledge_models,
            definitions.decision_services,
        )
        for e in group
        if not (explicit_only and getattr(e, "implicit", False))
    }


def declare_implicit_inputs(definitions):
    """Add an implicit `InputData` for every variable a table reads that nothing declares.

    Returns the warnings (also appended to `definitions.warnings`).
    """
    declared = _declared_names(definitions)
    aliases = visible_aliases(definitions)
    everything = declared | {a for seen in aliases.values() for a in seen}
    known = vocabulary(everything)
    implicit = {}
    for decision in definitions.decisions:
        table = decision.expression
        if not isinstance(table, reader.DecisionTable):
            continue
        for clause in table.inputs:
            name = _read_name(clause.text, known)
            if name is None or name in declared or name in aliases.get(decision.name, {}):
                continue
            if name not in implicit:
                implicit[name] = (
                    reader.InputData(name, None, clause.type_ref, table.line, implicit=True),
                    [decision.name],
                )
            elif decision.name not in implicit[name][1]:
                implicit[name][1].append(decision.name)
    warnings = []
    for name, (input_data, readers) in implicit.items():
        definitions.input_data.append(input_data)
        who = (
            "decision %r reads" % readers[0]
            if len(readers) == 1
            else "decisions %s read" % ", ".join(repr(r) for r in readers)
        )
        warnings.append(
            "%s %r, which no inputData declares: it is taken as an input of the model "
            "(declare it as inputData to make this explicit)" % (who, name)
        )
    definitions.warnings.extend(warnings)
    return warnings


def _read_name(text, known):
    """The variable an input expression reads (`season`, `applicant.age` -> `applicant`), or None."""
    try:
        tree, _ = compile_feel_expression(text or "null", known)
    except FeelSyntaxError:
        return None  # reported with its rule and column when the table is compiled
    while tree and tree[0] == "path":
        tree = tree[1]
    if tree and tree[0] == "name":
        return tree[1]
    return None
