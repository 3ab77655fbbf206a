"""Writes `Definitions` back out as normalised DMN XML.

Normalised: one layout whatever tool wrote the file (DMN 1.3 for DMN 1.1 files, the file's own
namespace for DMN 1.2 to 1.5), empty input entries written `-`, empty output entries `null`,
implicit inputs declared as `inputData`, vendor extensions dropped.  What the author sees is kept:
ids, labels, rule annotations, and the DMNDI diagram when the file had one (its elements point at
ids, so ids are kept wherever the reader has them).

Reading the result gives the same tables and the same decisions; it is not byte-identical.
"""

import re
from xml.etree import ElementTree

from . import reader

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"
KEPT_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    DMN13,
    "https://www.omg.org/spec/DMN/20211108/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
)
PREFIXES = {"dmndi": "DMNDI/", "dc": "/DC/", "di": "/DI/"}
HIT_POLICY_NAMES = {letter: name for name, letter in reader.HIT_POLICIES.items()}


def definitions_to_xml(definitions):
    """Normalised DMN XML (str) for `definitions` (as read by `rulesets.dmn.read_model`)."""
    return _Writer(definitions).xml()


def _identifier(kind, name):
    return "%s_%s" % (kind, re.sub(r"\W", "_", name or ""))


class _Writer:
    def __init__(self, definitions):
        self.definitions = definitions
        self.namespace = definitions.xml_namespace if definitions.xml_namespace in KEPT_NAMESPACES else DMN13
        self.taken_ids = set()

    def q(self, tag):
        return "{%s}%s" % (self.namespace, tag)

    def sub(self, parent, tag, attributes=None, text=None):
        element = ElementTree.SubElement(
            parent, self.q(tag), {k: v for k, v in (attributes or {}).items() if v is not None}
        )
        if text is not None:
            element.text = text
        return element

    def new_id(self, wanted, kind, name):
        candidate = wanted or _identifier(kind, name)
        base, number = candidate, 1
        while candidate in self.taken_ids:
            number += 1
            candidate = "%s_%d" % (base, number)
        self.taken_ids.add(candidate)
        return candidate

    # ------------------------------------------------------------------------ document
    def xml(self):
        definitions = self.definitions
        ElementTree.register_namespace("", self.namespace)
        root = ElementTree.Element(
            self.q("definitions"),
            {
                "id": definitions.id or _identifier("definitions", definitions.name or "model"),
                "name": definitions.name or "model",
                "namespace": definitions.namespace or "https://creditbox.example/dmn",
            },
        )
        self.taken_ids.add(root.get("id"))
        for group in (
            definitions.input_data,
            definitions.decisions,
            definitions.knowledge_models,
            definitions.decision_services,
        ):
            self.taken_ids.update(element.id for element in group if element.id)
        for item in definitions.item_definitions.values():
            self.item_definition(root, item, "itemDefinition")
        for input_data in definitions.input_data:
            self.input_data(root, input_data)
        for decision in definitions.decisions:
            self.decision(root, decision)
        for model in definitions.knowledge_models:
            self.knowledge_model(root, model)
        for service in definitions.decision_services:
            self.decision_service(root, service)
        diagram = self.diagram()
        if diagram is not None:
            root.append(diagram)
        ElementTree.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"

    def item_definition(self, parent, item, tag):
        attributes = {"id": _identifier("item", item.name), "name": item.name}
        if item.is_collection:
            attributes["isCollection"] = "true"
        element = self.sub(parent, tag, attributes)
        if item.type_ref:
            self.sub(element, "typeRef", text=item.type_ref)
        if item.allowed_values:
            self.sub(self.sub(element, "allowedValues"), "text", text=item.allowed_values)
        for component in item.components:
            self.item_definition(element, component, "itemComponent")

    def input_data(self, parent, input_data):
        identifier = input_data.id or self.new_id(None, "input", input_data.name)
        element = self.sub(parent, "inputData", {"id": identifier, "name": input_data.name})
        self.sub(
            element, "variable", {"id": identifier + "_var", "name": input_data.name, "typeRef": input_data.type_ref}
        )

    def decision(self, parent, decision):
        element = self.sub(parent, "decision", {"id": decision.id, "name": decision.name, "label": decision.label})
        self.sub(
            element,
            "variable",
            {
                "id": (decision.id or _identifier("decision", decision.name)) + "_var",
                "name": decision.name,
                "typeRef": decision.type_ref,
            },
        )
        for kind, references in (
            ("requiredDecision", decision.required_decisions),
            ("requiredInput", decision.required_inputs),
        ):
            for reference in references:
                requirement = self.sub(
                    element, "informationRequirement", {"id": decision.requirement_ids.get(reference)}
                )
                self.sub(requirement, kind, {"href": "#" + reference})
        for reference in decision.required_knowledge:
            requirement = self.sub(element, "knowledgeRequirement", {"id": decision.requirement_ids.get(reference)})
            self.sub(requirement, "requiredKnowledge", {"href": "#" + reference})
        if decision.expression is not None:
            self.expression(element, decision.expression)

    def knowledge_model(self, parent, model):
        element = self.sub(parent, "businessKnowledgeModel", {"id": model.id, "name": model.name})
        self.sub(element, "variable", {"name": model.name, "typeRef": model.type_ref})
        if model.function is not None:
            logic = self.sub(element, "encapsulatedLogic", {"kind": _kind(model.function.kind)})
            for name, type_ref in model.function.parameters:
                self.sub(logic, "formalParameter", {"name": name, "typeRef": type_ref})
            if model.function.body is not None:
                self.expression(logic, model.function.body)
        for reference in model.required_knowledge:
            requirement = self.sub(element, "knowledgeRequirement")
            self.sub(requirement, "requiredKnowledge", {"href": "#" + reference})

    def decision_service(self, parent, service):
        element = self.sub(parent, "decisionService", {"id": service.id, "name": service.name})
        self.sub(element, "variable", {"name": service.name})
        for tag, references in (
            ("outputDecision", service.output_decisions),
            ("encapsulatedDecision", service.encapsulated_decisions),
            ("inputDecision", service.input_decisions),
            ("inputData", service.input_data),
        ):
            for reference in references:
                self.sub(element, tag, {"href": "#" + reference})

    # ------------------------------------------------------------------------ expressions
    def expression(self, parent, node):
        if isinstance(node, reader.LiteralExpression):
            element = self.sub(parent, "literalExpression", {"typeRef": node.type_ref})
            self.sub(element, "text", text=node.text)
        elif isinstance(node, reader.DecisionTable):
            self.table(parent, node)
        elif isinstance(node, reader.Context):
            element = self.sub(parent, "context")
            for entry in node.entries:
                context_entry = self.sub(element, "contextEntry")
                if entry.name is not None:
                    self.sub(context_entry, "variable", {"name": entry.name, "typeRef": entry.type_ref})
                if entry.expression is not None:
                    self.expression(context_entry, entry.expression)
        elif isinstance(node, reader.Invocation):
            element = self.sub(parent, "invocation")
            self.sub(self.sub(element, "literalExpression"), "text", text=node.callee)
            for name, bound in node.bindings:
                binding = self.sub(element, "binding")
                self.sub(binding, "parameter", {"name": name})
                if bound is not None:
                    self.expression(binding, bound)
        elif isinstance(node, reader.FunctionDefinition):
            element = self.sub(parent, "functionDefinition", {"kind": _kind(node.kind)})
            for name, type_ref in node.parameters:
                self.sub(element, "formalParameter", {"name": name, "typeRef": type_ref})
            if node.body is not None:
                self.expression(element, node.body)
        elif isinstance(node, reader.ListExpression):
            element = self.sub(parent, "list")
            for item in node.items:
                self.expression(element, item)
        elif isinstance(node, reader.Relation):
            element = self.sub(parent, "relation")
            for column in node.columns:
                self.sub(element, "column", {"name": column})
            for row in node.rows:
                row_element = self.sub(element, "row")
                for cell in row:
                    self.expression(row_element, cell)
        else:  # the reader produces nothing else; a new node type must be written here first
            raise TypeError("cannot write %s as DMN" % type(node).__name__)

    def table(self, parent, table):
        attributes = {
            "id": table.id,
            "hitPolicy": HIT_POLICY_NAMES[table.hit_policy],
            "aggregation": table.aggregation,
            "outputLabel": table.output_label,
        }
        element = self.sub(parent, "decisionTable", attributes)
        for clause in table.inputs:
            input_element = self.sub(element, "input", {"id": clause.id, "label": clause.label})
            expression = self.sub(input_element, "inputExpression", {"typeRef": clause.type_ref})
            self.sub(expression, "text", text=clause.text)
            if clause.input_values:
                self.sub(self.sub(input_element, "inputValues"), "text", text=clause.input_values)
        for clause in table.outputs:
            output = self.sub(
                element,
                "output",
                {"id": clause.id, "label": clause.label, "name": clause.name, "typeRef": clause.type_ref},
            )
            if clause.output_values:
                self.sub(self.sub(output, "outputValues"), "text", text=clause.output_values)
            if clause.default_output:
                self.sub(self.sub(output, "defaultOutputEntry"), "text", text=clause.default_output)
        for rule in table.rules:
            rule_element = self.sub(element, "rule", {"id": rule.id})
            if rule.description:
                self.sub(rule_element, "description", text=rule.description)
            for entry in rule.input_entries:
                self.sub(self.sub(rule_element, "inputEntry"), "text", text=entry.strip() or "-")
            for entry in rule.output_entries:
                self.sub(self.sub(rule_element, "outputEntry"), "text", text=entry.strip() or "null")

    # ------------------------------------------------------------------------ diagram
    def diagram(self):
        """The source's DMNDI element, without the reader's line markers, or None."""
        if "DMNDI" not in self.definitions.text:
            return None
        source = reader.parse_xml(self.definitions.text)
        for element in source:
            if reader._local(element.tag) == "DMNDI":
                for node in element.iter():
                    node.attrib.pop(reader.LINE_ATTRIBUTE, None)
                for namespace in {node.tag[1:].split("}", 1)[0] for node in element.iter() if node.tag.startswith("{")}:
                    for prefix, marker in PREFIXES.items():
                        if marker in namespace:
                            ElementTree.register_namespace(prefix, namespace)
                return element
        return None


def _kind(kind):
    return None if kind == "FEEL" else kind
