"""The README's API examples, run as written: every `curl` block against a live server.

`$TOKEN`, `$MODEL` and `$EDITOR_TOKEN` come from a demo load (as `scripts/demo.sh` prints them); the README's
`http://127.0.0.1:8000` becomes the test server's address; a file an example uploads is made in
the directory the command runs in. Any answer outside 2xx fails.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rulesets.workbooks import credit_policy_workbook, to_bytes

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_curl_commands():
    """Each indented code block line group that starts with `curl`, joined across its `\\` continuations."""
    commands, current = [], None
    for line in README.read_text().splitlines():
        text = line[4:] if line.startswith("    ") else None
        if current is not None:
            if text is None:
                commands.append(current)
                current = None
                continue
            current += "\n" + text
            if not text.rstrip().endswith("\\") and not _open_quote(current):
                commands.append(current)
                current = None
        elif text is not None and text.startswith("curl "):
            current = text
            if not text.rstrip().endswith("\\") and not _open_quote(current):
                commands.append(current)
                current = None
    return commands


def _open_quote(command):
    return command.count("'") % 2 == 1


def test_the_readme_has_api_examples():
    commands = readme_curl_commands()
    assert len(commands) >= 3
    assert all("..." not in command for command in commands)


@pytest.mark.django_db(transaction=True)
def test_every_readme_curl_example_answers_2xx(live_server, tmp_path):
    from decisioning.demo import demo_load

    assert shutil.which("curl"), "curl is needed to run the README's examples"
    demo = demo_load(out=lambda *_: None)
    (tmp_path / "knockouts.xlsx").write_bytes(to_bytes(credit_policy_workbook()))
    from partners import roles
    from partners.services import api_token_create

    editor = demo["people"][roles.RULE_EDITOR][0]
    environment = {
        **os.environ,
        "TOKEN": demo["token"],
        "MODEL": str(demo["logistic"].pk),
        "EDITOR_TOKEN": api_token_create(user=editor),
    }
    for command in readme_curl_commands():
        command = command.replace("http://127.0.0.1:8000", live_server.url)
        command = re.sub(r"^curl -s", "curl -s -o /dev/stderr -w '%{http_code}'", command)
        finished = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=120
        )
        status = finished.stdout.strip()[-3:]
        assert status.startswith("2"), f"{command}\n-> {status}\n{finished.stderr[:2000]}"
