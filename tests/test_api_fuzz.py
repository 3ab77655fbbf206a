"""Schemathesis against a live server on the test database: no 5xx, every answer as documented.

Bounded: about 4,100 generated cases over the API's 62 operations (the coverage phase's boundary
values, 20 fuzzed examples each, 40 stateful scenarios), two workers (the live server answers one
while schemathesis builds the next: about 2.5 minutes), seed 1. Its settings and why
one check is off: tests/fuzz/schemathesis.toml. The report (JUnit XML) goes to
test-artifacts/schemathesis/.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from batchpredictions.services.chunks import batch_prediction_chunk_run
from batchpredictions.services.jobs import batch_prediction_create
from decisioning.demo import demo_application, demo_load
from decisioning.services import decision_create
from decisioning.services.backtests import backtest_create
from partners import roles
from partners.services import api_token_create, user_roles_set
from portfolio.services.jobs import reevaluation_job_create
from tests.factories import publish_ruleset

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "tests" / "fuzz" / "schemathesis.toml"
REPORTS = ROOT / "test-artifacts" / "schemathesis"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_response_off_the_schema(live_server, tmp_path):
    demo = demo_load(out=lambda *_: None)
    admin = demo["people"][roles.PARTNER_ADMIN][0]
    # Re-evaluation jobs are started by risk managers only: the same person has that role too, so
    # every operation is reached past its permission check.
    user_roles_set(user=admin, roles=[*admin.role_names(), roles.RISK_MANAGER], record=False)
    decision, _ = decision_create(partner=demo["partner"], application=demo_application(0), requested_by=admin)
    step = decision.steps.order_by("step_position").first()
    # A ruleset of its own (a copy of the demo's knock-outs, outside the flow), so retiring or
    # deleting what the fuzzer is given leaves the decisions it also sends untouched.
    knockout = demo["rulesets"]["knockout"].versions.get(status="published")
    case = demo["rulesets"]["knockout"].test_cases.order_by("name").first()
    fuzz_version = publish_ruleset(
        demo["partner"],
        "Fuzz rules",
        knockout.dmn_xml,
        field_mapping=knockout.field_mapping,
        author=demo["people"][roles.RULE_EDITOR][0],
        approver=demo["people"][roles.RULE_APPROVER][0],
        test_cases=[(case.name, case.inputs, case.expected_outputs)],
    )
    # A backtest and a re-evaluation job of the demo's flow, so their detail operations answer 200.
    flow = demo["flow"]
    backtest = backtest_create(
        flow=flow.definition, actor=demo["people"][roles.RULE_APPROVER][0], candidate=flow, limit=10
    )
    job = reevaluation_job_create(partner=demo["partner"], user=admin, flow_id=str(demo["flow"].pk), chunk_size=100)
    # A completed batch prediction of two demo applications, so its detail and result answer 200.
    batch_csv = "\n".join(
        [
            ",".join(demo_application(0)),
            *(",".join("" if v is None else str(v) for v in demo_application(n).values()) for n in (0, 1)),
        ]
    )
    batch = batch_prediction_create(
        partner=demo["partner"], user=admin, data=batch_csv, flow_id=str(flow.definition_id)
    )
    for chunk_id in batch.chunks.values_list("pk", flat=True):
        batch_prediction_chunk_run(chunk_id=chunk_id)
    schema = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    REPORTS.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "CREDITBOX_FUZZ_MODEL_ID": str(step.model_id),
        "CREDITBOX_FUZZ_FIELD_ID": str(step.model.fields.order_by("name").first().pk),
        "CREDITBOX_FUZZ_DECISION_ID": str(decision.pk),
        "CREDITBOX_FUZZ_INSIGHT_ID": str(step.pk),
        "CREDITBOX_FUZZ_RULESET_ID": str(fuzz_version.ruleset_id),
        "CREDITBOX_FUZZ_RULESET_VERSION_ID": str(fuzz_version.pk),
        "CREDITBOX_FUZZ_TEST_CASE_ID": str(fuzz_version.ruleset.test_cases.get().pk),
        "CREDITBOX_FUZZ_FLOW_ID": str(flow.definition_id),
        "CREDITBOX_FUZZ_BACKTEST_ID": str(backtest.pk),
        "CREDITBOX_FUZZ_REEVALUATION_JOB_ID": str(job.pk),
        "CREDITBOX_FUZZ_BATCH_PREDICTION_ID": str(batch.pk),
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            str(schema),
            "--url",
            live_server.url,
            "-H",
            f"Authorization: Token {api_token_create(user=admin)}",
            "--seed",
            os.environ.get("SCHEMATHESIS_SEED", "1"),
            "--report",
            "junit",
            "--report-junit-path",
            str(REPORTS / "junit.xml"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    (REPORTS / "output.txt").write_text(output)
    summary = output[output.rfind("SUMMARY") :]
    generated = re.search(r"(\d+) generated, (\d+) passed", summary)
    print(summary)
    assert result.returncode == 0, output[-6000:]
    assert generated and generated.group(1) == generated.group(2) and int(generated.group(1)) >= 1000, summary
    total, tested = re.search(r"Selected: \d+/(\d+)", summary), re.search(r"Tested: (\d+)", summary)
    assert total and tested and tested.group(1) == total.group(1), summary  # every operation was reached
