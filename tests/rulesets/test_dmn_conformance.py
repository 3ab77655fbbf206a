"""The DMN TCK subset in ../shared/conformance, run with the native adapter."""
import os
import re
import subprocess
import sys

import pytest

from tests.rulesets.dmn_models import CONFORMANCE, REPOSITORY

RUNNER = os.path.join(CONFORMANCE, 'dmn-tck', 'run_tck.py')


def recorded_figure():
    text = open(os.path.join(REPOSITORY, 'docs', 'conformance.md'), encoding='utf-8').read()
    return int(re.search(r'DMN TCK figure: (\d+) passed', text).group(1))


@pytest.mark.skipif(not os.path.exists(RUNNER), reason='../shared/conformance is not present next to the repository')
def test_tck_subset_passes_at_least_the_recorded_figure():
    environment = dict(os.environ, PYTHONPATH=REPOSITORY)
    completed = subprocess.run(
        [sys.executable, RUNNER, '--cases', os.path.join(CONFORMANCE, 'dmn-tck', 'cases'), '--no-fail', '-q',
         '--adapter', 'scripts.conformance.dmn_native_adapter:evaluate'],
        cwd=REPOSITORY, env=environment, capture_output=True, text=True, timeout=300)
    last = completed.stdout.strip().splitlines()[-1]
    passed = int(re.match(r'(\d+) passed, (\d+) failed', last).group(1))
    assert passed >= recorded_figure(), completed.stdout[-3000:]
