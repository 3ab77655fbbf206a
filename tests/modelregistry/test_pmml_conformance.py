"""The PMML conformance suite (../shared/conformance/pmml) must not fall below the recorded figures
(docs/conformance.md): the native engine alone, and native with the pypmml fallback allowed (`fallback=True`)."""

import pytest

from scripts.conformance import pmml_conformance
from tests.modelregistry.pmml_helpers import PMML_CASES

RECORDED = {"native": 66, "default": 66}


@pytest.mark.skipif(not PMML_CASES.exists(), reason="../shared/conformance is not present beside the repository")
@pytest.mark.parametrize("engine", sorted(RECORDED))
def test_pmml_conformance_does_not_fall_below_the_recorded_figure(engine):
    results = pmml_conformance.run(engine)
    passed = sum(ok for _, ok, _, _ in results)
    failures = [f"{case}: {message}" for case, ok, message, _ in results if not ok]
    assert len(results) == 68
    assert passed >= RECORDED[engine], "\n".join(failures)
