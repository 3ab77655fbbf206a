"""DMN TCK adapter for the native engine, for ../shared/conformance/dmn-tck/run_tck.py.

    cd ../shared/conformance/dmn-tck && PYTHONPATH=<repo> python run_tck.py \\
        --adapter scripts.conformance.dmn_native_adapter:evaluate

Set DMN_ENGINE=pydmnrules to measure the reference engine through the same package entry point.
It only converts types between the runner's and the engine's: durations are text in the runner
and values in the engine; a date, time or date and time the runner cannot hold as a Python value
(a zone id such as @Europe/Paris) is compared as its ISO text, as the runner keeps it.
"""

import datetime
import glob
import os

import rulesets.dmn as dmn
from rulesets.dmn.feel import YearsMonthsDuration, duration_text, parse_duration
from rulesets.dmn.feel.temporal import temporal_text
from rulesets.dmn.feel.values import FAR_TYPES, NANO_TYPES, plain
from rulesets.dmn.reader import read_definitions

_models = {}


def _to_engine(value):
    if type(value).__name__ == "Duration":  # the runner's ISO-8601 duration text
        return parse_duration(str(value))
    if isinstance(value, dict):
        return {k: _to_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_engine(v) for v in value]
    return value


def _from_engine(value):
    if isinstance(value, datetime.timedelta):
        return duration_text(value)
    if isinstance(value, YearsMonthsDuration):
        return str(value)
    if isinstance(value, (datetime.datetime, datetime.time)) and getattr(value.tzinfo, "key", None):
        return temporal_text(value)
    if isinstance(value, FAR_TYPES):  # a year beyond Python's 1..9999: the runner keeps these as text too
        return temporal_text(value)
    if isinstance(value, NANO_TYPES) and not isinstance(value, datetime.timedelta):
        return plain(value)  # the runner reads date-times to the microsecond
    if isinstance(value, dict):
        return {k: _from_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_engine(v) for v in value]
    return value


def _same_upload(model_path):
    """An import resolver over the .dmn files beside the model: the TCK's folders are what an
    upload of several models is in Creditbox (models found by namespace, never by location)."""
    folder = os.path.dirname(os.path.abspath(model_path))

    def resolve(namespace):
        for path in sorted(glob.glob(os.path.join(folder, "*.dmn"))):
            try:
                if read_definitions(path).namespace == namespace:
                    return path
            except dmn.ModelLoadError:
                continue
        return None

    return resolve


def evaluate(model_path, decision_name, inputs):
    if model_path not in _models:
        try:
            engine = os.environ.get("DMN_ENGINE", "native")
            options = {"import_resolver": _same_upload(model_path)} if engine == "native" else {}
            _models[model_path] = dmn.load(model_path, engine=engine, **options)
        except dmn.ModelLoadError as error:
            _models[model_path] = error
    model = _models[model_path]
    if isinstance(model, Exception):
        raise model
    result = model.evaluate(_to_engine(inputs), decision_name)
    return {name: _from_engine(value) for name, value in result.items()}
