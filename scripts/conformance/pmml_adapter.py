"""Adapters for ../shared/conformance/pmml/run_pmml.py.

    python ../shared/conformance/pmml/run_pmml.py --adapter scripts.conformance.pmml_adapter:load_native
(run from the repository root with it on PYTHONPATH). `load_native` uses only the native engine;
`load` uses the native engine with the pypmml fallback allowed (what a model registered with
allowReferenceEngine gets).
JPMML's convention: a column named after the target holds the predicted value, so the adapter adds it.
"""

from modelregistry import pmml


class _Adapter:
    def __init__(self, model):
        self.model = model

    def predict(self, frame):
        if self.model.engine_name == "pmml-native":
            return self.model.evaluate_batch(frame, include_target=True)
        import sys
        from pathlib import Path

        runner = Path(__file__).resolve().parents[2].parent / "shared" / "conformance" / "pmml"
        sys.path.insert(0, str(runner))
        from adapters.pypmml_adapter import load as load_reference

        return load_reference(self.path).predict(frame)


def load_native(path):
    return _Adapter(pmml.load(path, engine="native"))


def load(path):
    adapter = _Adapter(pmml.load(path, fallback=True))
    adapter.path = path
    return adapter
