"""XML reading benchmark: the PMML reader through the safe XML door vs the reader it replaced.

    python benchmarks/xml_reader.py [--quick]

Documents:
- a "text artifact": a small valid PMML whose Extension element carries 1.6 MB of text in short
  lines, which expat hands over in about a million chunks (each line and each newline);
- a 100-tree ensemble (MiningModel of TreeModels, several MB, ~150k elements), a real large export.

Readers, in one run on the same bytes:
- `door`: `modelregistry.pmml.reader.parse` (core/safe_xml.py: defusedxml, limits, text joined once);
- `old`: the reader as it was before the door (expat, `node.text += chunk`: quadratic in the
  number of chunks), copied below; `--quick` skips it on the text artifact, which takes ~20 s;
- `expat`: a bare expat pass with no handlers, the floor any reader stands on.
"""

import argparse
import sys
import time
from pathlib import Path
from xml.parsers import expat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from modelregistry.pmml import reader  # noqa: E402

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">\n<Header/>\n'
    '<DataDictionary>\n<DataField name="x" optype="continuous" dataType="double"/>\n'
    '<DataField name="y" optype="continuous" dataType="double"/>\n</DataDictionary>\n'
)


def text_artifact(size=1_600_000):
    line = "credit decision\n"  # expat hands each line and each newline over as a chunk
    text = line * (size // len(line))
    return (
        HEADER + '<Extension name="notes">' + text + "</Extension>\n"
        '<RegressionModel functionName="regression"><MiningSchema><MiningField name="x"/>'
        '<MiningField name="y" usageType="target"/></MiningSchema>'
        '<RegressionTable intercept="1"><NumericPredictor name="x" coefficient="2"/></RegressionTable>'
        "</RegressionModel>\n</PMML>\n"
    ).encode("utf-8")


def ensemble(trees=100, depth=8, features=20, bins=255):
    """A MiningModel of `trees` full binary trees of `depth` levels summing leaf scores, shaped like a
    gradient-boosting export: each split on one of `features` fields at one of `bins` thresholds."""
    names = [f"x{i}" for i in range(features)]
    fields = "".join(f'<DataField name="{name}" optype="continuous" dataType="double"/>\n' for name in names)
    mining = "".join(f'<MiningField name="{name}"/>' for name in names)
    parts = [
        HEADER.replace('<DataField name="x" optype="continuous" dataType="double"/>\n', fields),
        f'<MiningModel functionName="regression"><MiningSchema>{mining}'
        '<MiningField name="y" usageType="target"/></MiningSchema><Segmentation multipleModelMethod="sum">\n',
    ]
    counter = [0]

    def split():
        counter[0] += 1
        number = counter[0] * 7919
        return names[number % features], (number // features) % bins / bins

    def node(level, score, out, predicate):
        if level == depth:
            out.append(f'<Node score="{score:.6f}">{predicate}</Node>\n')
            return
        out.append(f"<Node>{predicate}\n")
        field, threshold = split()
        node(
            level + 1,
            score - 1 / 2**level,
            out,
            f'<SimplePredicate field="{field}" operator="lessThan" value="{threshold:.6f}"/>',
        )
        node(level + 1, score + 1 / 2**level, out, "<True/>")
        out.append("</Node>\n")

    for tree in range(trees):
        parts.append(
            f'<Segment id="{tree + 1}"><True/><TreeModel functionName="regression">'
            f"<MiningSchema>{mining}</MiningSchema>\n"
        )
        node(0, 0.0, parts, "<True/>")
        parts.append("</TreeModel></Segment>\n")
    parts.append("</Segmentation></MiningModel>\n</PMML>\n")
    return "".join(parts).encode("utf-8")


class _OldNode:
    __slots__ = ("tag", "attrib", "children", "text", "line")

    def __init__(self, tag, attrib, line):
        self.tag, self.attrib, self.children, self.text, self.line = tag, attrib, [], "", line


def old_parse(data):
    """modelregistry/pmml/reader.py:parse before the safe XML door (commit 6c4a4aa)."""
    parser = expat.ParserCreate()
    root_holder, stack = [], []

    def start(tag, attrib):
        node = _OldNode(tag.rsplit(":", 1)[-1], attrib, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root_holder.append(node)
        stack.append(node)

    def end(tag):
        node = stack.pop()
        node.text = node.text.strip()

    def text(chunk):
        if stack:
            stack[-1].text += chunk

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.Parse(data, True)
    return root_holder[0]


def bare_expat(data):
    expat.ParserCreate().Parse(data, True)


def best_of(function, data, rounds):
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        function(data)
        best = min(best, time.perf_counter() - start)
    return best


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--quick", action="store_true", help="skip the old reader on the text artifact (~20 s)")
    options = arguments.parse_args()
    documents = {"text artifact (1.6 MB of text)": text_artifact(), "100-tree ensemble": ensemble()}
    print(f"python {sys.version.split()[0]}, expat {expat.EXPAT_VERSION}")
    print(f"{'document':34} {'MB':>6} {'elements':>9} {'door s':>8} {'old s':>8} {'expat s':>8} {'old/door':>9}")
    for name, data in documents.items():
        root = reader.parse(data)
        elements = _count(root)
        door = best_of(reader.parse, data, 3)
        floor = best_of(bare_expat, data, 3)
        if options.quick and name.startswith("text"):
            old = None
        else:
            old = best_of(old_parse, data, 1 if name.startswith("text") else 3)
        old_text = f"{old:8.3f}" if old is not None else f"{'skipped':>8}"
        ratio = f"{old / door:8.1f}x" if old is not None else f"{'-':>9}"
        print(f"{name:34} {len(data) / 1e6:6.2f} {elements:9,} {door:8.3f} {old_text} {floor:8.3f} {ratio}")


def _count(node):
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += 1
        stack.extend(current.children)
    return total


if __name__ == "__main__":
    main()
