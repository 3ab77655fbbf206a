"""DMN benchmark: native engine vs pyDMNrules vs zen-engine (GoRules), in one run.

    python benchmarks/dmn.py [--quick]

Two tables, written once here and rendered both as DMN XML and as zen-engine JSON:
- knock-out: 20 rules, 5 inputs, hit policy FIRST (first knock-out reason, last rule "PASS");
- points: 10 rules, 3 inputs, COLLECT SUM (C+) of scorecard points.
Prints single-decision median microseconds and batch rows/s per engine, and the ratios.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

INPUTS = [
    ("Age", "number"),
    ("Monthly income", "number"),
    ("Debt to income", "number"),
    ("Employment status", "string"),
    ("Months at address", "number"),
]

# (entries per input, output); "-" is "any". Entries use the subset common to DMN FEEL and zen.
KNOCKOUT_RULES = [
    (["< 18", "-", "-", "-", "-"], "UNDERAGE"),
    (["> 75", "-", "-", "-", "-"], "OVER MAX AGE"),
    (["-", "< 500", "-", "-", "-"], "INCOME TOO LOW"),
    (["-", "-", "> 0.6", "-", "-"], "DTI TOO HIGH"),
    (["-", "-", "-", '"UNEMPLOYED"', "-"], "UNEMPLOYED"),
    (["[18..21)", "< 1200", "-", "-", "-"], "YOUNG LOW INCOME"),
    (["-", "< 1000", "> 0.4", "-", "-"], "LOW INCOME HIGH DTI"),
    (["-", "-", "-", '"STUDENT"', "< 6"], "STUDENT NEW ADDRESS"),
    (["-", "-", "> 0.5", '"SELF-EMPLOYED"', "-"], "SELF EMPLOYED HIGH DTI"),
    (["-", "-", "-", "-", "< 1"], "NO ADDRESS HISTORY"),
    (["[70..75]", "< 1500", "-", "-", "-"], "RETIREE LOW INCOME"),
    (["-", "< 700", "> 0.3", "-", "-"], "VERY LOW INCOME DTI"),
    (["< 21", "-", "> 0.45", "-", "-"], "YOUNG HIGH DTI"),
    (["-", "-", "-", '"STUDENT"', "-"], "STUDENT"),
    (["-", "> 50000", "-", '"RETIRED"', "-"], "INCOME INCONSISTENT"),
    (["-", "-", "< 0", "-", "-"], "NEGATIVE DTI"),
    (["-", "-", "-", '"RETIRED"', "< 3"], "RETIRED NEW ADDRESS"),
    (["-", "-", "-", "-", "> 1200"], "ADDRESS IMPLAUSIBLE"),
    (["[18..25)", "-", "-", '"SELF-EMPLOYED"', "< 12"], "YOUNG SELF EMPLOYED"),
    (["-", "-", "-", "-", "-"], "PASS"),
]
POINT_INPUTS = INPUTS[:3]
POINTS_RULES = [
    (["< 25", "-", "-"], "5"),
    (["[25..40)", "-", "-"], "15"),
    ([">= 40", "-", "-"], "25"),
    (["-", "< 1500", "-"], "0"),
    (["-", "[1500..4000)", "-"], "10"),
    (["-", ">= 4000", "-"], "20"),
    (["-", "-", "< 0.2"], "30"),
    (["-", "-", "[0.2..0.4)"], "15"),
    (["-", "-", ">= 0.4"], "2.5"),
    ([">= 30", ">= 3000", "< 0.3"], "7.5"),
]


def escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def dmn_xml(name, inputs, rules, hit_policy, aggregation=None, output_type="string", quote_output=True):
    data = "".join(
        '<inputData id="i%d" name="%s"><variable name="%s" typeRef="%s"/></inputData>' % (n, i, i, t)
        for n, (i, t) in enumerate(inputs)
    )
    requirements = "".join(
        '<informationRequirement><requiredInput href="#i%d"/></informationRequirement>' % n for n in range(len(inputs))
    )
    clauses = "".join(
        '<input label="%s"><inputExpression typeRef="%s"><text>%s</text></inputExpression></input>' % (i, t, i)
        for i, t in inputs
    )
    body = "".join(
        "<rule>%s<outputEntry><text>%s</text></outputEntry></rule>"
        % (
            "".join("<inputEntry><text>%s</text></inputEntry>" % escape(e) for e in entries),
            escape('"%s"' % output if quote_output else output),
        )
        for entries, output in rules
    )
    aggregation_attribute = ' aggregation="%s"' % aggregation if aggregation else ""
    return (
        '<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="b" name="%s" namespace="urn:b">%s'
        '<decision id="d" name="Result"><variable name="Result" typeRef="%s"/>%s'
        '<decisionTable hitPolicy="%s"%s>%s<output name="result" typeRef="%s"/>%s</decisionTable></decision>'
        "</definitions>"
        % (name, data, output_type, requirements, hit_policy, aggregation_attribute, clauses, output_type, body)
    )


def zen_field(name):
    return name.replace(" ", "_")


def zen_json(inputs, rules, hit_policy, quote_output=True):
    input_columns = [{"id": "in%d" % n, "name": i, "field": zen_field(i)} for n, (i, _) in enumerate(inputs)]
    output_columns = [{"id": "out", "name": "result", "field": "result"}]
    zen_rules = []
    for number, (entries, output) in enumerate(rules):
        rule = {"_id": "r%d" % number, "out": '"%s"' % output if quote_output else output}
        for n, entry in enumerate(entries):
            rule["in%d" % n] = "" if entry == "-" else entry
        zen_rules.append(rule)
    return json.dumps(
        {
            "nodes": [
                {"id": "input", "type": "inputNode", "name": "Request", "position": {"x": 0, "y": 0}},
                {
                    "id": "table",
                    "type": "decisionTableNode",
                    "name": "Table",
                    "position": {"x": 1, "y": 0},
                    "content": {
                        "hitPolicy": hit_policy,
                        "inputs": input_columns,
                        "outputs": output_columns,
                        "rules": zen_rules,
                    },
                },
                {"id": "output", "type": "outputNode", "name": "Response", "position": {"x": 2, "y": 0}},
            ],
            "edges": [
                {"id": "e1", "sourceId": "input", "targetId": "table", "type": "edge"},
                {"id": "e2", "sourceId": "table", "targetId": "output", "type": "edge"},
            ],
        }
    )


def records(count, seed=7):
    generator = random.Random(seed)
    statuses = ["EMPLOYED", "SELF-EMPLOYED", "STUDENT", "UNEMPLOYED", "RETIRED"]
    return [
        {
            "Age": generator.randint(16, 80),
            "Monthly income": round(generator.uniform(0, 9000), 2),
            "Debt to income": round(generator.uniform(0, 0.8), 3),
            "Employment status": generator.choice(statuses),
            "Months at address": generator.randint(0, 400),
        }
        for _ in range(count)
    ]


def median_microseconds(function, arguments):
    timings = []
    clock = time.perf_counter_ns
    for argument in arguments:
        start = clock()
        function(argument)
        timings.append(clock() - start)
    return statistics.median(timings) / 1000


def measure(label, xml, zen_content, inputs, sample, batch_rows, reference_rows, zen_rows, engines):
    import numpy
    import pandas

    import rulesets.dmn as dmn

    names = [name for name, _ in inputs]
    sample = [{name: record[name] for name in names} for record in sample]
    figures = {}
    native = dmn.load(xml)
    native.evaluate(sample[0])
    figures["native single"] = median_microseconds(native.evaluate, sample)
    frame = pandas.DataFrame(records(batch_rows, seed=11))[names]
    start = time.perf_counter()
    native_result = native.evaluate_batch(frame)
    figures["native batch"] = batch_rows / (time.perf_counter() - start)
    check = frame.head(200)
    single = [native.evaluate(r)["Result"] for r in check.to_dict("records")]
    assert list(native_result["Result"].head(200)) == single, "native batch disagrees with evaluate"

    reference_model = engines["pydmnrules"](xml)
    reference_sample = [{k: v for k, v in r.items()} for r in sample[:reference_rows]]
    figures["pydmnrules single"] = median_microseconds(reference_model.decide, reference_sample)
    start = time.perf_counter()
    for record in reference_sample:
        reference_model.decide(record)
    figures["pydmnrules batch"] = len(reference_sample) / (time.perf_counter() - start)
    for record in sample[:50]:
        expected = native.evaluate(record)["Result"]
        got = engines["pydmnrules_result"](reference_model.decide(record))
        if expected != got and not (isinstance(got, float) and float(expected) == got):
            print("  note: pyDMNrules differs on %r: %r vs native %r" % (record, got, expected))
            break

    import zen

    decision = zen.ZenEngine().create_decision(zen_content)
    zen_sample = [{zen_field(k): v for k, v in r.items()} for r in sample]
    figures["zen single"] = median_microseconds(decision.evaluate, zen_sample)
    start = time.perf_counter()
    for record in zen_sample[:zen_rows]:
        decision.evaluate(record)
    figures["zen batch"] = min(zen_rows, len(zen_sample)) / (time.perf_counter() - start)
    for record, zen_record in zip(sample[:50], zen_sample[:50]):
        expected = native.evaluate(record)["Result"]
        got = decision.evaluate(zen_record)["result"]
        got = got.get("result") if isinstance(got, dict) else [g.get("result") for g in got]
        if isinstance(got, list):
            got = sum(got) if got else None
        if got != (float(expected) if hasattr(expected, "as_tuple") else expected):
            print("  note: zen-engine differs on %r: %r vs native %r" % (record, got, expected))
            break
    del numpy
    print("\n%s" % label)
    print("  %-12s %14s %16s" % ("engine", "single µs", "batch rows/s"))
    for engine in ("native", "pydmnrules", "zen"):
        print(
            "  %-12s %14.1f %16s" % (engine, figures[engine + " single"], format(int(figures[engine + " batch"]), ","))
        )
    print(
        "  ratios, single: native is %.0fx faster than pyDMNrules, %.1fx faster than zen-engine"
        % (figures["pydmnrules single"] / figures["native single"], figures["zen single"] / figures["native single"])
    )
    print(
        "  ratios, batch:  native is %.0fx pyDMNrules, %.1fx zen-engine (zen: Python loop over evaluate)"
        % (figures["native batch"] / figures["pydmnrules batch"], figures["native batch"] / figures["zen batch"])
    )
    return figures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="smaller samples (for tests)")
    arguments = parser.parse_args()
    start = time.perf_counter()
    import rulesets.dmn as dmn

    knockout_xml = dmn_xml("knockout", INPUTS, KNOCKOUT_RULES, "FIRST")
    model = dmn.load(knockout_xml)
    print("import + load (native, knock-out table): %.3f s" % (time.perf_counter() - start))
    print("python %s, numpy, 2-core machine; pyDMNrules import follows" % sys.version.split()[0])

    started = time.perf_counter()
    import pyDMNrules

    print("pyDMNrules import: %.1f s" % (time.perf_counter() - started))

    def reference(xml):
        engine = pyDMNrules.DMN()
        status = engine.useXML(xml)
        assert not status.get("errors"), status
        return engine

    def reference_result(outcome):
        status, data = outcome
        data = data[-1] if isinstance(data, list) else data
        result = data.get("Result") if isinstance(data, dict) else None
        if not isinstance(result, dict):
            return ("no result", status)
        return result.get("Result") if result.get("Result") is not None else result.get("Result.result")

    engines = {"pydmnrules": reference, "pydmnrules_result": reference_result}
    quick = arguments.quick
    sample = records(2000 if quick else 20000)
    batch_rows = 100000 if quick else 1000000
    reference_rows = 100 if quick else 400
    measure(
        "knock-out table (20 rules, 5 inputs, FIRST)",
        knockout_xml,
        zen_json(INPUTS, KNOCKOUT_RULES, "first"),
        INPUTS,
        sample,
        batch_rows,
        reference_rows,
        20000,
        engines,
    )
    points_xml = dmn_xml("points", POINT_INPUTS, POINTS_RULES, "COLLECT", "SUM", "number", quote_output=False)
    measure(
        "points table (10 rules, 3 inputs, C+)",
        points_xml,
        zen_json(POINT_INPUTS, POINTS_RULES, "collect", quote_output=False),
        POINT_INPUTS,
        sample,
        batch_rows,
        reference_rows,
        20000,
        engines,
    )
    del model
    print("\ntotal benchmark time: %.1f s" % (time.perf_counter() - start))


if __name__ == "__main__":
    main()
