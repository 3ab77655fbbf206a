"""A small XML reader for PMML that keeps line numbers, so errors can say where the author must look."""
import hashlib
import os
from xml.parsers import expat

from .errors import ModelLoadError


class Node:
    __slots__ = ("tag", "attrib", "children", "text", "line")

    def __init__(self, tag, attrib, line):
        self.tag = tag
        self.attrib = attrib
        self.children = []
        self.text = ""
        self.line = line

    def get(self, name, default=None):
        return self.attrib.get(name, default)

    def find(self, tag):
        for child in self.children:
            if child.tag == tag:
                return child
        return None

    def findall(self, tag):
        return [child for child in self.children if child.tag == tag]

    def where(self):
        name = self.attrib.get("name") or self.attrib.get("id") or self.attrib.get("field")
        label = f"{self.tag} {name!r}" if name else self.tag
        return f"{label}, line {self.line}"

    def __repr__(self):
        return f"<{self.where()}>"


def _local(tag):
    return tag.rsplit(":", 1)[-1]


def read_source(source):
    """Return (bytes, sha256) of a path, an XML string or XML bytes."""
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, str) and source.lstrip()[:1] == "<":
        data = source.encode("utf-8")
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.isfile(source):
            raise ModelLoadError(f"no PMML file at {os.fspath(source)!r}")
        with open(source, "rb") as handle:
            data = handle.read()
    else:
        raise ModelLoadError(f"cannot read a PMML document from {type(source).__name__}")
    return data, hashlib.sha256(data).hexdigest()


def parse(data):
    """Parse PMML bytes into a Node tree (namespace prefixes dropped)."""
    parser = expat.ParserCreate()
    root_holder, stack = [], []

    def start(tag, attrib):
        node = Node(_local(tag), attrib, parser.CurrentLineNumber)
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
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise ModelLoadError(f"not well-formed XML: {expat.errors.messages[error.code]}",
                             f"line {error.lineno}, column {error.offset}") from None
    root = root_holder[0]
    if root.tag != "PMML":
        raise ModelLoadError(f"the root element is <{root.tag}>, not <PMML>", f"line {root.line}")
    return root


MODEL_TAGS = (
    "AssociationModel", "AnomalyDetectionModel", "BayesianNetworkModel", "BaselineModel",
    "ClusteringModel", "GaussianProcessModel", "GeneralRegressionModel", "MiningModel",
    "NaiveBayesModel", "NearestNeighborModel", "NeuralNetwork", "RegressionModel",
    "RuleSetModel", "SequenceModel", "Scorecard", "SupportVectorMachineModel", "TextModel",
    "TimeSeriesModel", "TreeModel",
)


def model_element(root):
    for child in root.children:
        if child.tag in MODEL_TAGS:
            return child
    raise ModelLoadError("the document contains no model element (TreeModel, RegressionModel, Scorecard, …)",
                         f"PMML, line {root.line}")
