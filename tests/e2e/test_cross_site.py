"""A page on another site must not make a visitor's Chromium act on the server: its form POSTs that would open a
room or upload a drawing in the visitor's name are refused with a JSON 403, while the app's own pages still can."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

ELSEWHERE = "http://localhost:1/"  # another origin (and site) than the server's http://127.0.0.1:<port>
# A form that draws a stroke on a canvas, puts it in a file input as a PNG and submits it to `action`.
UPLOAD_FORM = """
<form id="upload" method="post" enctype="multipart/form-data" action="{action}"><input type="file" name="file"></form>
<form id="open" method="post" action="{rooms}"></form>
<script>
window.upload = async () => {{
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 140;
  const pen = canvas.getContext("2d");
  pen.fillStyle = "#fff"; pen.fillRect(0, 0, 140, 140);
  pen.strokeStyle = "#000"; pen.lineWidth = 12; pen.beginPath(); pen.moveTo(70, 20); pen.lineTo(70, 120); pen.stroke();
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const files = new DataTransfer();
  files.items.add(new File([blob], "digit.png", {{type: "image/png"}}));
  const form = document.getElementById("upload");
  form.querySelector("input").files = files.files;
  form.submit();
}};
</script>
"""


def submitted(tab: Page, script: str) -> tuple[int, dict]:
    """Run `script`, which submits a form, and return the status and JSON body of the page it navigates to."""
    with tab.expect_navigation() as navigation:
        tab.evaluate(script)
    response = navigation.value
    assert response is not None
    return response.status, json.loads(tab.locator("body").inner_text())


def test_another_sites_form_posts_are_refused_and_the_apps_own_are_answered(page: Page, base_url: str) -> None:
    forms = UPLOAD_FORM.format(action=f"{base_url}/api/predict", rooms=f"{base_url}/api/rooms")
    page.route(ELSEWHERE, lambda route: route.fulfill(content_type="text/html", body=forms))
    origins: list[str] = []
    page.on("request", lambda request: origins.append(request.headers.get("origin", "")))

    page.goto(ELSEWHERE)
    status, body = submitted(page, "window.upload()")
    assert (status, body["code"]) == (403, "forbidden_origin") and "another site" in body["message"]
    page.goto(ELSEWHERE)
    status, body = submitted(page, "document.getElementById('open').submit()")
    assert (status, body["code"]) == (403, "forbidden_origin")
    assert "http://localhost:1" in origins  # Chromium said where the forms came from

    # the same forms on the app's own origin: what its pages send is answered
    page.route(f"{base_url}/same-origin-forms", lambda route: route.fulfill(content_type="text/html", body=forms))
    page.goto(f"{base_url}/same-origin-forms")
    status, body = submitted(page, "window.upload()")
    assert status == 200 and body["prediction"] == 1, body
    page.goto(f"{base_url}/same-origin-forms")
    status, body = submitted(page, "document.getElementById('open').submit()")
    assert status == 201 and len(body["code"]) == 6, body
