"""Hostile uploads through the real API (issue 9, findings 1 and 2): each is refused cleanly, names
what and where, stores nothing, and never reaches the pypmml reference engine."""

import base64
import io
import threading
import time
import zipfile
from collections import OrderedDict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from core import safe_xml
from core.models import AuditEvent
from modelregistry import engines
from modelregistry.models import PredictiveModel, PredictiveModelField
from modelregistry.pmml import reference
from partners import roles
from tests.modelregistry.test_api import knockout_workbook, upload_document, workbook_document

pytestmark = pytest.mark.django_db

URL = "/api/v1/predictive-models"
LISTENER_PORT = 8111  # this worktree's port range is 8110-8119

# A model the native engine cannot evaluate (Apply function="replace"), so before the door it went to
# pypmml, whose Java parser resolved entities; the entity's text came back in an insight's results.
REPLACE_PMML = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
  <Header/>
  <DataDictionary>
    <DataField name="purpose" optype="categorical" dataType="string"/>
    <DataField name="amount" optype="continuous" dataType="double"/>
    <DataField name="score" optype="continuous" dataType="double"/>
  </DataDictionary>
  <TransformationDictionary>
    <DerivedField name="cleaned" optype="categorical" dataType="string">
      <Apply function="replace"><FieldRef field="purpose"/><Constant>_</Constant><Constant> </Constant></Apply>
    </DerivedField>
    <DerivedField name="note" optype="categorical" dataType="string">
      <MapValues outputColumn="out" dataType="string" defaultValue="none">
        <FieldColumnPair field="cleaned" column="in"/>
        <InlineTable><row><in>new car</in><out>{note}</out></row></InlineTable>
      </MapValues>
    </DerivedField>
  </TransformationDictionary>
  <RegressionModel functionName="regression">
    <MiningSchema>
      <MiningField name="purpose"/><MiningField name="amount"/><MiningField name="score" usageType="target"/>
    </MiningSchema>
    <Output>
      <OutputField name="note_out" optype="categorical" dataType="string" feature="transformedValue"><FieldRef field="note"/></OutputField>
      <OutputField name="score_out" optype="continuous" dataType="double" feature="predictedValue"/>
    </Output>
    <RegressionTable intercept="1"><NumericPredictor name="amount" coefficient="0.001"/></RegressionTable>
  </RegressionModel>
</PMML>
"""

FORMAT_NUMBER_PMML = """<PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4"><Header/>
<DataDictionary><DataField name="amount" optype="continuous" dataType="double"/>
<DataField name="pattern" optype="categorical" dataType="string"/></DataDictionary>
<TransformationDictionary><DerivedField name="label" optype="categorical" dataType="string">
<Apply function="formatNumber"><FieldRef field="amount"/>{pattern}</Apply></DerivedField></TransformationDictionary>
<RegressionModel functionName="regression"><MiningSchema><MiningField name="amount"/><MiningField name="pattern"/>
</MiningSchema><Output><OutputField name="label_out" dataType="string" feature="transformedValue">
<FieldRef field="label"/></OutputField></Output>
<RegressionTable intercept="1"><NumericPredictor name="amount" coefficient="2"/></RegressionTable></RegressionModel></PMML>
"""


def hostile(doctype, note):
    return REPLACE_PMML.format(doctype=doctype, note=note)


@pytest.fixture
def scientist_api(partner, make_user, api_as, dictionary):
    return api_as(make_user(partner, roles.DATA_SCIENTIST))


@pytest.fixture
def pypmml_calls(monkeypatch):
    """Every model handed to the pypmml reference engine (a recording subclass; pypmml itself still runs)."""
    calls = []

    class Recording(reference.PyPMMLModel):
        def __init__(self, text, *args, **kwargs):
            calls.append(text)
            super().__init__(text, *args, **kwargs)

    monkeypatch.setattr(reference, "PyPMMLModel", Recording)
    monkeypatch.setattr(engines, "_cache", OrderedDict())  # nothing compiled earlier answers for the engines
    return calls


@pytest.fixture
def listener():
    """A local HTTP server that records every request it gets (an XXE/SSRF target)."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            received.append(self.path)
            body = b'<!ENTITY leak "fetched">' if self.path.endswith(".dtd") else b"fetched"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", LISTENER_PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield received
    server.shutdown()
    server.server_close()


def assert_refused(response, *, pointer="/data/attributes/artifact", expected=()):
    assert response.status_code == 400, response.content[:500]
    error = response.json()["errors"][0]
    assert error["source"]["pointer"] == pointer
    for text in expected:
        assert text in error["detail"], error["detail"]
    assert PredictiveModel.objects.count() == 0 and PredictiveModelField.objects.count() == 0
    assert not AuditEvent.objects.filter(action="predictive_model.register").exists()
    return error["detail"]


@pytest.mark.parametrize("allow_reference_engine", [False, True])
def test_an_external_file_entity_is_refused_naming_the_doctype_line_and_pypmml_never_sees_it(
    scientist_api, pypmml_calls, tmp_path, allow_reference_engine
):
    secret = tmp_path / ".env"
    secret.write_text("SECRET_KEY=do-not-leak\n")
    artifact = hostile(f'<!DOCTYPE PMML [\n  <!ENTITY secret SYSTEM "file://{secret}">\n]>\n', "&secret;")
    document = upload_document("Exfiltrate", artifact)
    document["data"]["attributes"]["allowReferenceEngine"] = allow_reference_engine
    detail = assert_refused(scientist_api.post(URL, document), expected=("DOCTYPE", "(line 2)"))
    assert "do-not-leak" not in detail
    assert pypmml_calls == []


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE PMML [\n  <!ENTITY leak SYSTEM "http://127.0.0.1:{port}/leak">\n]>\n',
        '<!DOCTYPE PMML [\n  <!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/evil.dtd">\n  %remote;\n]>\n',
        '<!DOCTYPE PMML SYSTEM "http://127.0.0.1:{port}/evil.dtd">\n',
    ],
    ids=["url-entity", "external-parameter-dtd", "external-dtd"],
)
def test_a_url_entity_or_external_dtd_is_refused_and_nothing_is_fetched(scientist_api, pypmml_calls, listener, doctype):
    note = "&leak;" if "leak SYSTEM" in doctype else "NOTE"
    document = upload_document("Fetch", hostile(doctype.format(port=LISTENER_PORT), note))
    document["data"]["attributes"]["allowReferenceEngine"] = True
    assert_refused(scientist_api.post(URL, document), expected=("DOCTYPE", "(line 2)"))
    time.sleep(0.2)  # a fetch, had one started, would have arrived by now
    assert listener == [] and pypmml_calls == []


def test_a_utf16_declared_doctype_is_refused(scientist_api, pypmml_calls):
    artifact = hostile('<!DOCTYPE PMML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n', "&secret;")
    artifact = artifact.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    assert_refused(scientist_api.post(URL, upload_document("UTF-16", artifact)), expected=("DOCTYPE", "(line 2)"))
    assert pypmml_calls == []


def test_a_billion_laughs_is_refused_at_once(scientist_api, pypmml_calls):
    entities = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    artifact = hostile(f'<!DOCTYPE PMML [<!ENTITY lol0 "lol">{entities}]>\n', "&lol9;")
    started = time.monotonic()
    assert_refused(scientist_api.post(URL, upload_document("Laughs", artifact)), expected=("DOCTYPE",))
    # A hang guard, not a speed target: before the door this pinned a worker until gunicorn killed it.
    assert time.monotonic() - started < 30
    assert pypmml_calls == []


def test_a_model_the_native_engine_cannot_evaluate_needs_the_reference_engine_allowed_explicitly(
    scientist_api, pypmml_calls
):
    plain = hostile("", "NOTE")
    refused = scientist_api.post(URL, upload_document("Replace", plain))
    assert_refused(refused, expected=("Apply function 'replace'", "allowReferenceEngine"))
    assert pypmml_calls == []

    document = upload_document("Replace", plain)
    document["data"]["attributes"]["allowReferenceEngine"] = True
    created = scientist_api.post(URL, document)
    assert created.status_code == 201, created.json()
    attributes = created.json()["data"]["attributes"]
    assert attributes["allowReferenceEngine"] is True
    assert "pypmml reference engine" in attributes["warnings"][0]
    event = AuditEvent.objects.get(action="predictive_model.register")
    assert event.data["allow_reference_engine"] is True and event.data["engine_name"] == "pypmml"
    assert len(pypmml_calls) == 1 and "<!DOCTYPE" not in pypmml_calls[0]

    model = PredictiveModel.objects.get(pk=created.json()["data"]["id"])
    engines._cache.clear()
    loaded = engines.load_for(model)  # what an evaluation uses: the model's own recorded choice
    assert loaded.engine_name == "pypmml"
    assert loaded.evaluate({"purpose": "new_car", "amount": 1000}) == {"note_out": "NOTE", "score_out": 2.0}


def test_a_native_model_records_that_the_reference_engine_is_not_allowed(scientist_api):
    from tests.factories import LOGISTIC_PMML

    created = scientist_api.post(URL, upload_document("Logistic", LOGISTIC_PMML))
    assert created.status_code == 201
    assert created.json()["data"]["attributes"]["allowReferenceEngine"] is False
    assert AuditEvent.objects.get(action="predictive_model.register").data["allow_reference_engine"] is False


def test_a_format_number_pattern_that_amplifies_is_refused_at_upload_naming_the_apply(scientist_api):
    artifact = FORMAT_NUMBER_PMML.format(pattern="<Constant>%5000000d</Constant>")
    assert len(artifact.encode()) < 1200
    assert_refused(
        scientist_api.post(URL, upload_document("Amplify", artifact)),
        expected=("formatNumber pattern '%5000000d'", "65,536 characters", "Apply, line 5"),
    )


def test_an_artifact_over_the_limit_is_refused_naming_the_field_and_the_limit(scientist_api):
    padding = "<!--" + "x" * safe_xml.MAX_DOCUMENT_BYTES + "-->"
    from tests.factories import LOGISTIC_PMML

    response = scientist_api.post(URL, upload_document("Huge", LOGISTIC_PMML + padding))
    assert_refused(response, expected=("the limit is 20,971,520 bytes",))


def test_a_large_real_ensemble_still_uploads(scientist_api):
    from benchmarks.xml_reader import ensemble

    artifact = ensemble(trees=100, depth=8).decode("utf-8")
    assert len(artifact) > 3_000_000
    created = scientist_api.post(URL, upload_document("Boosted", artifact))
    assert created.status_code == 201, created.json()
    assert created.json()["data"]["attributes"]["engine"] == "pmml"
    assert PredictiveModelField.objects.filter(model_id=created.json()["data"]["id"]).count() == 21


# -- Excel workbooks -------------------------------------------------------------------------------


def rebuilt(workbook, change):
    """The workbook with each part passed through `change(name, bytes)`, deflated again."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            target.writestr(member.filename, change(member.filename, source.read(member.filename)))
    return out.getvalue()


def test_a_zip_bomb_workbook_is_refused_before_it_is_parsed(scientist_api, monkeypatch):
    import openpyxl

    def inflate(name, content):
        if name == "xl/worksheets/sheet1.xml":
            return content.replace(b"</worksheet>", b" " * 20_000_000 + b"</worksheet>")
        return content

    bomb = rebuilt(knockout_workbook(), inflate)
    assert len(bomb) < 100_000
    opened = []
    monkeypatch.setattr(openpyxl, "load_workbook", lambda *a, **k: opened.append(a) or pytest.fail("parsed"))
    assert_refused(
        scientist_api.post(URL, workbook_document("Bomb", bomb)),
        pointer="/data/attributes/workbook",
        expected=("unpacks to 20,", "limit is 10,485,760 bytes"),
    )
    assert opened == []


def test_a_workbook_whose_sheet_declares_a_doctype_is_refused_naming_the_part(scientist_api):
    def doctype(name, content):
        if name == "xl/worksheets/sheet1.xml":
            return b'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n' + content
        return content

    assert_refused(
        scientist_api.post(URL, workbook_document("Doctype", rebuilt(knockout_workbook(), doctype))),
        pointer="/data/attributes/workbook",
        expected=("part 'xl/worksheets/sheet1.xml'", "DOCTYPE", "(line 1)"),
    )


def test_a_workbook_over_the_limit_is_refused_naming_the_field(scientist_api):
    encoded_size = (safe_xml.MAX_DOCUMENT_BYTES + 3) // 3 * 4 + 4
    document = {"data": {"type": "predictiveModel", "attributes": {"name": "Huge", "workbook": "A" * encoded_size}}}
    assert_refused(
        scientist_api.post(URL, document),
        pointer="/data/attributes/workbook",
        expected=("the limit is 20,971,520 bytes",),
    )


def test_a_base64_workbook_of_20_mb_fits_in_a_request_body():
    from django.conf import settings

    twenty_megabytes_as_json = len(base64.b64encode(b"\0" * safe_xml.MAX_DOCUMENT_BYTES)) + 1000
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= twenty_megabytes_as_json
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE >= safe_xml.MAX_DOCUMENT_BYTES
