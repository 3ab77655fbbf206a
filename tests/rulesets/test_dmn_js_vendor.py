"""The vendored dmn-js bundle loads a table offline in headless Chromium, watermark visible.

No Django: every request the page makes is answered from the vendored directory, anything
else is refused and recorded, so the bundle is proven to need no CDN and no build step.
"""

import mimetypes
import os
from pathlib import Path

import pytest

from tests.decisioning.test_review_pages import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "rulesets" / "static" / "rulesets" / "vendor" / "dmn-js"
ORIGIN = "http://vendor.test"

CAMUNDA_TABLE = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="dinnerDecisions" name="Dinner"
             namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="decision" name="Dish">
    <decisionTable id="table" hitPolicy="UNIQUE">
      <input id="season" label="Season">
        <inputExpression id="seasonExpression" typeRef="string"><text>season</text></inputExpression>
      </input>
      <input id="guests" label="How many guests">
        <inputExpression id="guestsExpression" typeRef="integer"><text>guestCount</text></inputExpression>
      </input>
      <output id="dish" label="Dish" name="desiredDish" typeRef="string"/>
      <rule id="r1">
        <inputEntry id="r1a"><text>"Fall"</text></inputEntry><inputEntry id="r1b"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="r1c"><text>"Spareribs"</text></outputEntry>
      </rule>
      <rule id="r2">
        <inputEntry id="r2a"><text>"Winter"</text></inputEntry><inputEntry id="r2b"><text></text></inputEntry>
        <outputEntry id="r2c"><text>"Roastbeef"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

PAGE = """<!doctype html><html><head>
<link rel="stylesheet" href="/assets/diagram-js.css">
<link rel="stylesheet" href="/assets/dmn-js-shared.css">
<link rel="stylesheet" href="/assets/dmn-js-drd.css">
<link rel="stylesheet" href="/assets/dmn-js-decision-table.css">
<link rel="stylesheet" href="/assets/dmn-js-decision-table-controls.css">
<link rel="stylesheet" href="/assets/dmn-font/css/dmn-embedded.css">
<script src="/dmn-modeler.production.min.js"></script>
</head><body><div id="canvas" style="position:relative;height:600px;width:1100px"></div></body></html>"""


@pytest.mark.browser
def test_the_vendored_modeler_opens_a_camunda_table_offline_with_the_watermark_visible():
    from playwright.sync_api import expect, sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    assert Path(CHROMIUM).exists(), f"Chromium is not installed at {CHROMIUM}"
    ARTIFACTS.mkdir(exist_ok=True)
    refused, errors = [], []

    def answer(route):
        url = route.request.url
        if url == ORIGIN + "/":
            return route.fulfill(body=PAGE, content_type="text/html")
        if url.startswith(ORIGIN + "/"):
            path = (VENDOR / url[len(ORIGIN) + 1 :].split("?")[0]).resolve()
            if path.is_file() and VENDOR in path.parents:
                return route.fulfill(
                    body=path.read_bytes(),
                    content_type=mimetypes.guess_type(path.name)[0] or "application/octet-stream",
                )
        refused.append(url)
        return route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 700})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.route("**/*", answer)
            page.goto(ORIGIN + "/")
            warnings = page.evaluate(
                """async (xml) => {
                const modeler = new DmnJS({container: '#canvas'});
                const result = await modeler.importXML(xml);
                window.modeler = modeler;
                return result.warnings.map(w => w.message);
            }""",
                CAMUNDA_TABLE,
            )
            assert warnings == []
            table = page.locator(".tjs-table")
            expect(table).to_be_visible()
            expect(table).to_contain_text("Spareribs")
            expect(table).to_contain_text("How many guests")
            watermark = page.locator("a.bjs-powered-by")
            expect(watermark).to_be_visible()
            assert watermark.get_attribute("href") == "http://bpmn.io"
            page.screenshot(path=str(ARTIFACTS / "dmn-js-offline-table.png"))
            saved = page.evaluate("async () => (await window.modeler.saveXML({format: true})).xml")
        finally:
            browser.close()
    assert refused == [] and errors == []
    assert '"Roastbeef"' in saved and "guestCount" in saved
