"""Reads DMN XML (1.1 to 1.5) into plain dataclasses, keeping source line numbers.

Namespaces are ignored on purpose: the element vocabulary used here is the same in every
DMN version from 1.1 to 1.5, only the namespace URI changes.
"""

import hashlib
import os
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from typing import List, Optional

from core import safe_xml

from .errors import ModelLoadError

DMN_NAMESPACE_MARKERS = ("omg.org/spec/DMN", "omg.org/spec/dmn")


# ---------------------------------------------------------------- expression nodes
@dataclass
class LiteralExpression:
    text: str
    type_ref: Optional[str]
    line: Optional[int]


@dataclass
class InputClause:
    text: str
    type_ref: Optional[str]
    input_values: Optional[str]
    label: Optional[str]
    id: Optional[str] = None


@dataclass
class OutputClause:
    name: Optional[str]
    type_ref: Optional[str]
    output_values: Optional[str]
    default_output: Optional[str]
    label: Optional[str] = None
    id: Optional[str] = None


@dataclass
class Rule:
    input_entries: List[str]
    output_entries: List[str]
    line: Optional[int]
    id: Optional[str] = None
    description: Optional[str] = None


@dataclass
class DecisionTable:
    hit_policy: str
    aggregation: Optional[str]
    inputs: List[InputClause]
    outputs: List[OutputClause]
    rules: List[Rule]
    line: Optional[int]
    output_label: Optional[str] = None
    id: Optional[str] = None


@dataclass
class ContextEntry:
    name: Optional[str]  # None for the final result entry
    type_ref: Optional[str]
    expression: object


@dataclass
class Context:
    entries: List[ContextEntry]
    line: Optional[int]


@dataclass
class Invocation:
    callee: str
    bindings: List[tuple]  # (parameter name, expression or None)
    line: Optional[int]


@dataclass
class FunctionDefinition:
    parameters: List[tuple]  # (name, type_ref)
    body: object
    kind: str
    line: Optional[int]


@dataclass
class ListExpression:
    items: List[object]
    line: Optional[int]


@dataclass
class Relation:
    columns: List[str]
    rows: List[List[object]]
    line: Optional[int]


@dataclass
class Conditional:  # DMN 1.5 boxed if/then/else
    condition: object
    then: object
    otherwise: object
    line: Optional[int]


@dataclass
class Filter:  # DMN 1.5 boxed filter: the items of `source` for which `match` is true
    source: object
    match: object
    line: Optional[int]


@dataclass
class Iterator:  # DMN 1.5 boxed for / some / every
    kind: str
    variable: str
    source: object
    body: object
    line: Optional[int]


# ---------------------------------------------------------------- model elements
@dataclass
class ItemDefinition:
    name: str
    type_ref: Optional[str]
    is_collection: bool
    allowed_values: Optional[str]
    components: List["ItemDefinition"] = field(default_factory=list)
    function_item: Optional[tuple] = None  # (parameter typeRefs, output typeRef) of a <functionItem>


@dataclass
class InputData:
    name: str
    id: Optional[str]
    type_ref: Optional[str]
    line: Optional[int]
    implicit: bool = False  # read by a table but not declared (see visibility.declare_implicit_inputs)


@dataclass
class Decision:
    name: str
    id: Optional[str]
    type_ref: Optional[str]
    required_decisions: List[str]  # ids
    required_inputs: List[str]  # ids
    required_knowledge: List[str]  # ids
    expression: object
    line: Optional[int]
    requirement_ids: dict = field(default_factory=dict)  # href id -> the requirement element's id
    label: Optional[str] = None


@dataclass
class BusinessKnowledgeModel:
    name: str
    id: Optional[str]
    type_ref: Optional[str]
    function: Optional[FunctionDefinition]
    required_knowledge: List[str]
    line: Optional[int]


@dataclass
class DecisionService:
    name: str
    id: Optional[str]
    output_decisions: List[str]  # ids
    encapsulated_decisions: List[str]
    input_decisions: List[str]
    input_data: List[str]
    line: Optional[int]
    type_ref: Optional[str] = None


@dataclass
class Import:
    name: str  # the prefix the importing model uses: `name.Element`
    namespace: str  # what identifies the imported model; a locationURI is never followed
    import_type: Optional[str]
    line: Optional[int]


@dataclass
class Definitions:
    name: Optional[str]
    namespace: Optional[str]
    sha256: str
    item_definitions: dict
    input_data: List[InputData]
    decisions: List[Decision]
    knowledge_models: List[BusinessKnowledgeModel]
    decision_services: List[DecisionService]
    text: str
    imports: List[Import] = field(default_factory=list)
    external_references: set = field(default_factory=set)  # ids of elements of imported models
    warnings: List[str] = field(default_factory=list)
    id: Optional[str] = None
    xml_namespace: Optional[str] = None  # which DMN version's namespace the file used

    def element_name(self, element_id):
        for group in (self.decisions, self.input_data, self.knowledge_models, self.decision_services):
            for element in group:
                if element.id == element_id:
                    return element.name
        return None


# ---------------------------------------------------------------- XML with line numbers
LINE_ATTRIBUTE = "{urn:creditbox}line"


class _TreeBuilder:
    """Element tree whose elements carry their source line (ElementTree alone drops it).

    Character data is collected in a list and joined once when the next tag comes, so reading is
    linear in the document's size.
    """

    def __init__(self):
        self.stack, self.root = [], None
        self.pending, self.owner = [], None  # text since the last tag; (element, 'text' or 'tail')

    def _flush(self):
        if self.pending and self.owner is not None:
            element, slot = self.owner
            setattr(element, slot, "".join(self.pending))
        self.pending = []

    def start(self, tag, attributes, line):
        self._flush()
        attributes = dict(attributes)
        attributes[LINE_ATTRIBUTE] = str(line)
        element = ElementTree.Element(tag, attributes)
        if self.stack:
            self.stack[-1].append(element)
        else:
            self.root = element
        self.stack.append(element)
        self.owner = (element, "text")

    def end(self, tag):
        self._flush()
        self.owner = (self.stack.pop(), "tail")

    def data(self, text):
        self.pending.append(text)


def _build_tree(text):
    builder = _TreeBuilder()
    try:
        safe_xml.parse(text, builder)
    except safe_xml.XMLRefused as error:
        raise ModelLoadError("invalid XML: %s" % error.message, error.location) from None
    return builder.root


def source_text(source):
    """The XML text of `source`: a path, XML text starting with '<', or bytes."""
    if isinstance(source, bytes):
        return _decoded(source)
    if isinstance(source, os.PathLike) or (isinstance(source, str) and not source.lstrip().startswith("<")):
        path = os.fspath(source)
        if not os.path.isfile(path):
            raise ModelLoadError("no DMN file named %r" % path)
        with open(path, "rb") as handle:
            return _decoded(handle.read())
    if isinstance(source, str):
        return source
    raise ModelLoadError("source must be a path, XML text or bytes, not %s" % type(source).__name__)


def _decoded(data):
    try:
        return safe_xml.decode(data)
    except safe_xml.XMLRefused as error:
        raise ModelLoadError("invalid XML: %s" % error.message, error.location) from None


def parse_xml(text):
    return _build_tree(text)


def _local(tag):
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _child(element, name):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text_of(element, name="text"):
    child = _child(element, name) if element is not None else None
    if child is None:
        return None
    return (child.text or "").strip()


def _href_id(element):
    return (element.get("href") or "").split("#")[-1]


def _line(element):
    line = element.get(LINE_ATTRIBUTE)
    return int(line) if line else None


def _where(element, what):
    return "%s, line %s" % (what, _line(element))


EXPRESSION_TAGS = {
    "literalExpression",
    "decisionTable",
    "context",
    "invocation",
    "functionDefinition",
    "list",
    "relation",
    "conditional",
    "filter",
    "for",
    "some",
    "every",
}
ITERATOR_BODIES = {"for": "return", "some": "satisfies", "every": "satisfies"}


def _expression_child(element):
    for child in element:
        if _local(child.tag) in EXPRESSION_TAGS:
            return child
    return None


def read_expression(element, owner):
    if element is None:
        return None
    tag = _local(element.tag)
    type_ref = element.get("typeRef")
    if tag == "literalExpression":
        return LiteralExpression(_text_of(element) or "", type_ref, _line(element))
    if tag == "decisionTable":
        return _read_table(element, owner)
    if tag == "context":
        entries = []
        for entry in _children(element, "contextEntry"):
            variable = _child(entry, "variable")
            name = variable.get("name") if variable is not None else None
            entry_type = variable.get("typeRef") if variable is not None else None
            entries.append(ContextEntry(name, entry_type, read_expression(_expression_child(entry), owner)))
        return Context(entries, _line(element))
    if tag == "invocation":
        callee = _expression_child(element)
        callee_text = _text_of(callee) if callee is not None and _local(callee.tag) == "literalExpression" else None
        if not callee_text:
            raise ModelLoadError("invocation without the name of what it invokes", _where(element, owner))
        bindings = []
        for binding in _children(element, "binding"):
            parameter = _child(binding, "parameter")
            bindings.append(
                (
                    parameter.get("name") if parameter is not None else None,
                    read_expression(_expression_child(binding), owner),
                )
            )
        return Invocation(callee_text, bindings, _line(element))
    if tag == "functionDefinition":
        parameters = [(p.get("name"), p.get("typeRef")) for p in _children(element, "formalParameter")]
        return FunctionDefinition(
            parameters, read_expression(_expression_child(element), owner), element.get("kind", "FEEL"), _line(element)
        )
    if tag == "list":
        return ListExpression(
            [read_expression(c, owner) for c in element if _local(c.tag) in EXPRESSION_TAGS], _line(element)
        )
    if tag == "relation":
        columns = [c.get("name") for c in _children(element, "column")]
        rows = [
            [read_expression(c, owner) for c in row if _local(c.tag) in EXPRESSION_TAGS]
            for row in _children(element, "row")
        ]
        return Relation(columns, rows, _line(element))
    if tag == "conditional":
        parts = [
            read_expression(_expression_child(_child(element, part)), owner)
            if _child(element, part) is not None
            else None
            for part in ("if", "then", "else")
        ]
        return Conditional(*parts, _line(element))
    if tag == "filter":
        parts = [
            read_expression(_expression_child(_child(element, part)), owner)
            if _child(element, part) is not None
            else None
            for part in ("in", "match")
        ]
        return Filter(*parts, _line(element))
    if tag in ITERATOR_BODIES:
        variable = element.get("iteratorVariable")
        if not variable:
            raise ModelLoadError("<%s> without an iteratorVariable" % tag, _where(element, owner))
        parts = [
            read_expression(_expression_child(_child(element, part)), owner)
            if _child(element, part) is not None
            else None
            for part in ("in", ITERATOR_BODIES[tag])
        ]
        return Iterator(tag, variable, *parts, _line(element))
    raise ModelLoadError("unsupported expression <%s>" % tag, _where(element, owner))


HIT_POLICIES = {
    "UNIQUE": "U",
    "ANY": "A",
    "PRIORITY": "P",
    "FIRST": "F",
    "RULE ORDER": "R",
    "OUTPUT ORDER": "O",
    "COLLECT": "C",
}


def _read_table(element, owner):
    hit_policy = element.get("hitPolicy", "UNIQUE")
    if hit_policy not in HIT_POLICIES:
        raise ModelLoadError("unknown hit policy %r" % hit_policy, _where(element, owner))
    aggregation = element.get("aggregation")
    if aggregation and aggregation not in ("SUM", "COUNT", "MIN", "MAX"):
        raise ModelLoadError("unknown aggregation %r" % aggregation, _where(element, owner))
    inputs = []
    for clause in _children(element, "input"):
        expression = _child(clause, "inputExpression")
        if expression is None:
            raise ModelLoadError("input without inputExpression", _where(clause, owner))
        inputs.append(
            InputClause(
                _text_of(expression) or "",
                expression.get("typeRef"),
                _text_of(_child(clause, "inputValues")),
                clause.get("label"),
                clause.get("id"),
            )
        )
    outputs = []
    for clause in _children(element, "output"):
        outputs.append(
            OutputClause(
                clause.get("name"),
                clause.get("typeRef"),
                _text_of(_child(clause, "outputValues")),
                _text_of(_child(clause, "defaultOutputEntry")),
                clause.get("label"),
                clause.get("id"),
            )
        )
    if not outputs:
        raise ModelLoadError("decision table without an output", _where(element, owner))
    rules = []
    for number, rule in enumerate(_children(element, "rule"), 1):
        input_entries = [(_text_of(e) or "") for e in _children(rule, "inputEntry")]
        output_entries = [(_text_of(e) or "") for e in _children(rule, "outputEntry")]
        if len(input_entries) != len(inputs) or len(output_entries) != len(outputs):
            raise ModelLoadError(
                "rule %d has %d input and %d output entries; the table has %d inputs and %d outputs"
                % (number, len(input_entries), len(output_entries), len(inputs), len(outputs)),
                _where(rule, owner),
            )
        description = _child(rule, "description")
        rules.append(
            Rule(
                input_entries,
                output_entries,
                _line(rule),
                rule.get("id"),
                (description.text or "").strip() if description is not None else None,
            )
        )
    return DecisionTable(
        HIT_POLICIES[hit_policy],
        aggregation,
        inputs,
        outputs,
        rules,
        _line(element),
        element.get("outputLabel"),
        element.get("id"),
    )


def _read_item_definition(element):
    type_ref = _text_of(element, "typeRef") or element.get("typeRef")
    function_item = _child(element, "functionItem")
    if function_item is not None:
        function_item = (
            [p.get("typeRef") for p in _children(function_item, "parameters")],
            function_item.get("outputTypeRef"),
        )
    return ItemDefinition(
        element.get("name"),
        type_ref,
        element.get("isCollection") == "true",
        _text_of(_child(element, "allowedValues")),
        [_read_item_definition(c) for c in _children(element, "itemComponent")],
        function_item,
    )


def _variable_type(element):
    variable = _child(element, "variable")
    return variable.get("typeRef") if variable is not None else None


def _requirement_ids(element, requirement, kind):
    return [_href_id(r) for req in _children(element, requirement) for r in _children(req, kind)]


def _requirement_element_ids(element):
    """{required element's id: the informationRequirement/knowledgeRequirement's own id} (DMNDI edges
    point at the requirement)."""
    return {
        _href_id(r): req.get("id")
        for name in ("informationRequirement", "knowledgeRequirement")
        for req in _children(element, name)
        if req.get("id")
        for r in req
    }


def read_definitions(source):
    """Parse `source` (path, text or bytes) into `Definitions`; raises ModelLoadError."""
    text = source_text(source)
    root = parse_xml(text)
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "definitions" or not any(m in namespace for m in DMN_NAMESPACE_MARKERS):
        raise ModelLoadError(
            "not a DMN model: root element is <%s> in namespace %r, expected <definitions> "
            "in a DMN 1.1-1.5 namespace" % (_local(root.tag), namespace),
            "line %s" % _line(root),
        )
    items = {}
    input_data, decisions, knowledge_models, services, imports = [], [], [], [], []
    for element in root:
        tag = _local(element.tag)
        name = element.get("name")
        if tag in ("inputData", "decision", "businessKnowledgeModel", "decisionService", "itemDefinition") and not name:
            raise ModelLoadError("<%s> without a name" % tag, "line %s" % _line(element))
        if tag == "import":
            if not element.get("namespace"):
                raise ModelLoadError("<import> without a namespace", "line %s" % _line(element))
            imports.append(
                Import(element.get("name") or "", element.get("namespace"), element.get("importType"), _line(element))
            )
        elif tag == "itemDefinition":
            items[name] = _read_item_definition(element)
        elif tag == "inputData":
            variable = _child(element, "variable")
            input_data.append(
                InputData(
                    name, element.get("id"), variable.get("typeRef") if variable is not None else None, _line(element)
                )
            )
        elif tag == "decision":
            variable = _child(element, "variable")
            owner = "decision %r" % name
            decisions.append(
                Decision(
                    name,
                    element.get("id"),
                    variable.get("typeRef") if variable is not None else None,
                    _requirement_ids(element, "informationRequirement", "requiredDecision"),
                    _requirement_ids(element, "informationRequirement", "requiredInput"),
                    _requirement_ids(element, "knowledgeRequirement", "requiredKnowledge"),
                    read_expression(_expression_child(element), owner),
                    _line(element),
                    _requirement_element_ids(element),
                    element.get("label"),
                )
            )
        elif tag == "businessKnowledgeModel":
            variable = _child(element, "variable")
            owner = "business knowledge model %r" % name
            logic = _child(element, "encapsulatedLogic")
            function = None
            if logic is not None:
                function = FunctionDefinition(
                    [(p.get("name"), p.get("typeRef")) for p in _children(logic, "formalParameter")],
                    read_expression(_expression_child(logic), owner),
                    logic.get("kind", "FEEL"),
                    _line(logic),
                )
            knowledge_models.append(
                BusinessKnowledgeModel(
                    name,
                    element.get("id"),
                    variable.get("typeRef") if variable is not None else None,
                    function,
                    _requirement_ids(element, "knowledgeRequirement", "requiredKnowledge"),
                    _line(element),
                )
            )
        elif tag == "decisionService":
            services.append(
                DecisionService(
                    name,
                    element.get("id"),
                    [_href_id(r) for r in _children(element, "outputDecision")],
                    [_href_id(r) for r in _children(element, "encapsulatedDecision")],
                    [_href_id(r) for r in _children(element, "inputDecision")],
                    [_href_id(r) for r in _children(element, "inputData")],
                    _line(element),
                    _variable_type(element),
                )
            )
    definitions = Definitions(
        root.get("name"),
        root.get("namespace"),
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
        items,
        input_data,
        decisions,
        knowledge_models,
        services,
        text,
        imports,
        id=root.get("id"),
        xml_namespace=namespace,
    )
    own_namespace = root.get("namespace") or ""
    definitions.external_references = {
        href.split("#")[-1]
        for href in (
            r.get("href") or ""
            for r in root.iter()
            if _local(r.tag) in ("requiredDecision", "requiredInput", "requiredKnowledge")
        )
        if "#" in href and href.split("#")[0] not in ("", own_namespace)
    }
    _check_references(definitions)
    return definitions


def _check_references(definitions):
    known = {
        e.id
        for group in (
            definitions.decisions,
            definitions.input_data,
            definitions.knowledge_models,
            definitions.decision_services,
        )
        for e in group
    } | definitions.external_references
    for decision in definitions.decisions:
        for reference in decision.required_decisions + decision.required_inputs + decision.required_knowledge:
            if reference not in known:
                raise ModelLoadError(
                    "decision %r requires #%s, which the model does not define" % (decision.name, reference),
                    "line %s" % decision.line,
                )
