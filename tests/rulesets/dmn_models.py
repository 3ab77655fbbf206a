"""Small DMN models written for the tests (the TCK models stay in ../shared/conformance)."""

import os

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFORMANCE = os.path.join(REPOSITORY, "..", "shared", "conformance")
TCK_CASES = os.path.join(CONFORMANCE, "dmn-tck", "cases")

DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table_model(
    rules,
    *,
    hit_policy="UNIQUE",
    aggregation=None,
    inputs=(("Age", "number"),),
    outputs=(("Risk", "string"),),
    namespace=DMN13,
    decision="Decision",
):
    """A one-table model; `rules` is a list of (input entries, output entries)."""
    data = "".join(
        '<inputData id="i%d" name="%s"><variable name="%s" typeRef="%s"/></inputData>' % (n, name, name, kind)
        for n, (name, kind) in enumerate(inputs)
    )
    requirements = "".join(
        '<informationRequirement><requiredInput href="#i%d"/></informationRequirement>' % n for n in range(len(inputs))
    )
    clauses = "".join(
        '<input label="%s"><inputExpression typeRef="%s"><text>%s</text></inputExpression></input>' % (name, kind, name)
        for name, kind in inputs
    )
    output_clauses = "".join('<output name="%s" typeRef="%s"/>' % (name, kind) for name, kind in outputs)
    rule_xml = "".join(
        "<rule>%s%s</rule>"
        % (
            "".join("<inputEntry><text>%s</text></inputEntry>" % escape(e) for e in ins),
            "".join("<outputEntry><text>%s</text></outputEntry>" % escape(e) for e in outs),
        )
        for ins, outs in rules
    )
    aggregation_attribute = ' aggregation="%s"' % aggregation if aggregation else ""
    variable_type = outputs[0][1] if len(outputs) == 1 else ""
    return (
        '<?xml version="1.0"?>\n<definitions xmlns="%s" id="d" name="test" namespace="urn:test">%s'
        '<decision id="dec" name="%s"><variable name="%s" typeRef="%s"/>%s'
        '<decisionTable hitPolicy="%s"%s>%s%s%s</decisionTable></decision></definitions>'
        % (
            namespace,
            data,
            decision,
            decision,
            variable_type,
            requirements,
            hit_policy,
            aggregation_attribute,
            clauses,
            output_clauses,
            rule_xml,
        )
    )


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
