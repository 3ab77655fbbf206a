"""The DMN TCK subset in ../shared/conformance, run with the native adapter."""

import json
import os
import re
import subprocess
import sys

import pytest

from tests.rulesets.dmn_models import CONFORMANCE, REPOSITORY

RUNNER = os.path.join(CONFORMANCE, "dmn-tck", "run_tck.py")


def recorded_figure():
    text = open(os.path.join(REPOSITORY, "docs", "conformance.md"), encoding="utf-8").read()
    return int(re.search(r"DMN TCK figure: (\d+) passed", text).group(1))


@pytest.mark.skipif(not os.path.exists(RUNNER), reason="../shared/conformance is not present next to the repository")
def test_tck_subset_passes_at_least_the_recorded_figure():
    environment = dict(os.environ, PYTHONPATH=REPOSITORY)
    completed = subprocess.run(
        [
            sys.executable,
            RUNNER,
            "--cases",
            os.path.join(CONFORMANCE, "dmn-tck", "cases"),
            "--no-fail",
            "-q",
            "--adapter",
            "scripts.conformance.dmn_native_adapter:evaluate",
        ],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = completed.stdout.strip().splitlines()[-1]
    passed = int(re.match(r"(\d+) passed, (\d+) failed", last).group(1))
    assert passed >= recorded_figure(), completed.stdout[-3000:]


FULL_CASES = os.path.join(CONFORMANCE, "dmn-tck-full", "cases")


def recorded_full_figures():
    text = open(os.path.join(REPOSITORY, "docs", "conformance.md"), encoding="utf-8").read()
    match = re.search(r"Full DMN TCK figure: ([\d,]+) of [\d,]+ test cases passed; ([\d,]+) of [\d,]+ without", text)
    return int(match.group(1).replace(",", "")), int(match.group(2).replace(",", ""))


def full_tck_figures(json_path):
    """(test cases passed, passed among those without an expected error) from the runner's JSON."""
    cases = {}
    for result in json.load(open(json_path, encoding="utf-8")):
        case = cases.setdefault((result["case"], result["id"]), {"ok": True, "expects_error": False})
        case["ok"] &= result["ok"]
        case["expects_error"] |= result["errorResult"]
    return (
        sum(case["ok"] for case in cases.values()),
        sum(case["ok"] for case in cases.values() if not case["expects_error"]),
    )


@pytest.mark.skipif(
    not os.path.exists(FULL_CASES), reason="../shared/conformance is not present next to the repository"
)
def test_full_tck_passes_at_least_the_recorded_figures(tmp_path):
    environment = dict(os.environ, PYTHONPATH=REPOSITORY)
    details = tmp_path / "details.json"
    subprocess.run(
        [
            sys.executable,
            RUNNER,
            "--cases",
            FULL_CASES,
            "--no-fail",
            "-q",
            "--json",
            str(details),
            "--adapter",
            "scripts.conformance.dmn_native_adapter:evaluate",
        ],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    passed, passed_without_error = full_tck_figures(details)
    recorded, recorded_without_error = recorded_full_figures()
    assert passed >= recorded and passed_without_error >= recorded_without_error, (passed, passed_without_error)
