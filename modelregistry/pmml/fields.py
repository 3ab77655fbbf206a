"""The model's public signature: its arguments (active MiningFields) and results (OutputFields)."""

from typing import NamedTuple, Optional

from .errors import ModelLoadError
from .reader import model_element

DATA_TYPES = {
    "double": "number",
    "float": "number",
    "integer": "integer",
    "boolean": "boolean",
    "string": "string",
    "date": "date",
    "dateTime": "datetime",
    "time": "time",
}
NUMERIC_PMML_TYPES = {"double", "float", "integer"}


class Field(NamedTuple):
    name: str
    field_type: str  # "argument" | "result"
    data_type: str
    allowed_values: Optional[tuple]
    optype: Optional[str]


class DataField(NamedTuple):
    name: str
    optype: str
    pmml_type: str
    valid_values: tuple  # PMML Value elements with property="valid", typed
    missing_values: tuple  # property="missing": input values to treat as missing
    invalid_values: tuple
    intervals: tuple  # (low, high, closure) of Interval elements
    line: int


def typed(text, pmml_type):
    """Convert a PMML attribute value to the Python value the data type calls for."""
    if text is None:
        return None
    if pmml_type in ("double", "float"):
        return float(text)
    if pmml_type == "integer":
        number = float(text)
        return int(number) if number.is_integer() else number
    if pmml_type == "boolean":
        return text.strip().lower() in ("true", "1")
    return text


def read_data_dictionary(root):
    dictionary = root.find("DataDictionary")
    if dictionary is None:
        raise ModelLoadError("the document has no DataDictionary", f"PMML, line {root.line}")
    fields = {}
    for node in dictionary.findall("DataField"):
        name = node.get("name")
        if not name:
            raise ModelLoadError("DataField without a name", f"DataField, line {node.line}")
        pmml_type = node.get("dataType")
        if pmml_type is None:
            raise ModelLoadError("DataField has no dataType", node.where())
        optype = node.get("optype") or ("continuous" if pmml_type in NUMERIC_PMML_TYPES else "categorical")
        groups = {"valid": [], "missing": [], "invalid": []}
        for value in node.findall("Value"):
            if value.get("value") is None:
                raise ModelLoadError("Value without a value attribute", value.where())
            try:
                groups.setdefault(value.get("property", "valid"), []).append(typed(value.get("value"), pmml_type))
            except ValueError:
                raise ModelLoadError(f"Value {value.get('value')!r} is not a {pmml_type}", value.where()) from None
        intervals = tuple(
            (float(i.get("leftMargin", "-inf")), float(i.get("rightMargin", "inf")), i.get("closure", "closedClosed"))
            for i in node.findall("Interval")
        )
        fields[name] = DataField(
            name,
            optype,
            pmml_type,
            tuple(groups["valid"]),
            tuple(groups["missing"]),
            tuple(groups["invalid"]),
            intervals,
            node.line,
        )
    return fields


def model_fields(root):
    """Arguments then results, in artifact order, as the engine interface lists them."""
    data_fields = read_data_dictionary(root)
    model = model_element(root)
    schema = model.find("MiningSchema")
    if schema is None:
        raise ModelLoadError("the model has no MiningSchema", model.where())
    arguments, targets = [], []
    for mining_field in schema.findall("MiningField"):
        name = mining_field.get("name")
        if name not in data_fields:
            raise ModelLoadError(f"MiningField {name!r} is not declared in the DataDictionary", mining_field.where())
        usage = mining_field.get("usageType", "active")
        if usage == "active":
            arguments.append(_data_field_signature(data_fields[name], "argument"))
        elif usage in ("target", "predicted"):
            targets.append(data_fields[name])
    output_fields = final_output_fields(model)
    results = []
    if output_fields:
        for node in output_fields:
            results.append(_output_signature(node, data_fields, targets))
    else:
        results = [_data_field_signature(target, "result") for target in targets]
    return arguments + results


def _data_field_signature(field, field_type):
    allowed = field.valid_values if field.valid_values and field.optype != "continuous" else None
    return Field(field.name, field_type, DATA_TYPES.get(field.pmml_type, "any"), allowed, field.optype)


def _output_signature(node, data_fields, targets):
    name = node.get("name")
    if not name:
        raise ModelLoadError("OutputField without a name", f"OutputField, line {node.line}")
    feature = node.get("feature", "predictedValue")
    pmml_type = node.get("dataType")
    if pmml_type is None:
        if feature in ("probability", "affinity", "standardError", "confidence", "entityAffinity"):
            pmml_type = "double"
        elif feature in ("reasonCode", "entityId", "clusterId", "ruleId"):
            pmml_type = "string"
        elif feature in ("predictedValue", "predictedDisplayValue", "transformedValue", "decision"):
            target_name = node.get("targetField")
            target = data_fields.get(target_name) if target_name else (targets[0] if targets else None)
            pmml_type = target.pmml_type if target is not None and feature == "predictedValue" else None
    optype = node.get("optype")
    return Field(name, "result", DATA_TYPES.get(pmml_type, "any"), None, optype)


def final_output_fields(model):
    """The OutputFields a caller sees: the model's own, or for a model chain without an Output
    element, those of its last segment (as JPMML and sklearn2pmml's LightGBM/XGBoost exports do)."""
    output = model.find("Output")
    if output is not None and output.findall("OutputField"):
        return [f for f in output.findall("OutputField") if f.get("isFinalResult", "true") != "false"]
    segmentation = model.find("Segmentation") if model.tag == "MiningModel" else None
    if segmentation is not None and segmentation.get("multipleModelMethod") == "modelChain":
        segments = segmentation.findall("Segment")
        if segments:
            from .reader import MODEL_TAGS

            inner = [child for child in segments[-1].children if child.tag in MODEL_TAGS]
            if inner:
                return final_output_fields(inner[0])
    return []
