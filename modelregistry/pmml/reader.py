"""A small XML reader for PMML that keeps line numbers, so errors can say where the author must look."""

import hashlib
import os

from core import safe_xml

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
    return tag.rsplit("}", 1)[-1]


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


class _TreeBuilder:
    """Builds the Node tree from the door's events; text is joined once per element (linear)."""

    def __init__(self):
        self.root = None
        self.stack = []
        self.text_parts = []

    def start(self, tag, attrib, line):
        node = Node(_local(tag), attrib, line)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)
        self.text_parts.append([])

    def end(self, tag):
        node = self.stack.pop()
        node.text = "".join(self.text_parts.pop()).strip()

    def data(self, chunk):
        if self.text_parts:
            self.text_parts[-1].append(chunk)


def decode(data):
    """The document's text as the safe XML door reads it (what every engine, pypmml included, gets)."""
    try:
        return safe_xml.decode(data)
    except safe_xml.XMLRefused as error:
        raise ModelLoadError(error.message, error.location) from None


def parse(data):
    """Parse PMML (bytes or text) through the safe XML door into a Node tree (namespaces dropped)."""
    builder = _TreeBuilder()
    try:
        safe_xml.parse(data, builder)
    except safe_xml.XMLRefused as error:
        raise ModelLoadError(error.message, error.location) from None
    root = builder.root
    if root.tag != "PMML":
        raise ModelLoadError(f"the root element is <{root.tag}>, not <PMML>", f"line {root.line}")
    return root


MODEL_TAGS = (
    "AssociationModel",
    "AnomalyDetectionModel",
    "BayesianNetworkModel",
    "BaselineModel",
    "ClusteringModel",
    "GaussianProcessModel",
    "GeneralRegressionModel",
    "MiningModel",
    "NaiveBayesModel",
    "NearestNeighborModel",
    "NeuralNetwork",
    "RegressionModel",
    "RuleSetModel",
    "SequenceModel",
    "Scorecard",
    "SupportVectorMachineModel",
    "TextModel",
    "TimeSeriesModel",
    "TreeModel",
)


def model_element(root):
    for child in root.children:
        if child.tag in MODEL_TAGS:
            return child
    raise ModelLoadError(
        "the document contains no model element (TreeModel, RegressionModel, Scorecard, …)", f"PMML, line {root.line}"
    )
