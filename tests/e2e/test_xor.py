"""The XOR page in Chromium: training in the server, drawn live; the derivation shows the server's numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
TRAIN_TIMEOUT_MS = 30_000

# Luminance of the surface's cell under each of the four points (the canvas holds one pixel per grid cell).
CELL_LUMINANCE = """() => {
  const canvas = document.querySelector('[data-testid=xor-surface-canvas]');
  const context = canvas.getContext('2d');
  return [...document.querySelectorAll('[data-testid=xor-surface-point]')].map((point) => {
    const [lo, hi, size] = [-0.5, 1.5, canvas.width];
    const col = Math.round((Number(point.dataset.u) - lo) / (hi - lo) * (size - 1));
    const row = size - 1 - Math.round((Number(point.dataset.v) - lo) / (hi - lo) * (size - 1));
    const [r, g, b] = context.getImageData(col, row, 1, 1).data;
    return {u: Number(point.dataset.u), v: Number(point.dataset.v), one: point.classList.contains('surface__point--one'),
            luminance: 0.2126 * r + 0.7152 * g + 0.0722 * b};
  });
}"""


def loss(page: Page) -> float:
    return float(page.get_by_test_id("xor-loss").get_attribute("data-value"))


def open_page(page: Page, base_url: str) -> list[dict]:
    """Open /xor and collect every JSON message the server sends on its websocket."""
    received: list[dict] = []

    def keep(payload: str | bytes) -> None:
        if isinstance(payload, str):
            received.append(json.loads(payload))

    page.on("websocket", lambda ws: ws.on("framereceived", keep))
    page.goto(f"{base_url}/xor")
    expect(page.get_by_test_id("xor-loss")).not_to_have_text("–")
    return received


def test_training_brings_the_loss_below_001_and_the_surface_separates_the_points(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path], console_errors: list[str]
) -> None:
    open_page(page, base_url)
    assert loss(page) > 0.2
    page.get_by_test_id("xor-run").click()
    expect(page.get_by_test_id("xor-run")).to_have_text("Pause")
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=xor-loss]').dataset.value) < 0.01", timeout=TRAIN_TIMEOUT_MS,
        polling=200,
    )
    page.get_by_test_id("xor-run").click()
    expect(page.get_by_test_id("xor-run")).to_have_text("Run")
    assert float(page.get_by_test_id("xor-loss").inner_text()) < 0.01
    expect(page.get_by_test_id("xor-verdict")).to_contain_text("Solved")
    cells = page.evaluate(CELL_LUMINANCE)
    assert len(cells) == 4
    ones = [c["luminance"] for c in cells if c["one"]]
    zeros = [c["luminance"] for c in cells if not c["one"]]
    assert min(ones) > max(zeros) + 100, cells  # viridis: bright yellow under the ones, dark purple under the zeros
    for i in range(4):
        point_loss = float(page.get_by_test_id(f"xor-point-{i}-loss").get_attribute("data-value"))
        assert point_loss < 0.05
    screenshot(page, "xor-1280x800-trained")
    assert console_errors == []


def test_stepping_the_derivation_shows_the_servers_numbers_for_dl_dw5(
    page: Page, base_url: str, screenshot: Callable[[Page, str], Path]
) -> None:
    received = open_page(page, base_url)
    for _ in range(3):
        page.get_by_test_id("xor-step").click()
    expect(page.get_by_test_id("xor-step-count")).to_have_text("3")
    page.get_by_test_id("xor-example").select_option("2")
    expect(page.get_by_test_id("derivation-when")).to_have_text("At step 3 of training.")
    derivation = [m for m in received if m["type"] == "xor_derivation"][-1]
    assert (derivation["example"], derivation["step"]) == (2, 3)
    server = derivation["steps"][1]
    assert server["target"]["wrt"] == "w5"

    page.locator("#xor-derivation").focus()
    page.keyboard.press("ArrowRight")
    current = page.get_by_test_id("derivation-current")
    expect(current).to_have_attribute("data-step-id", "w5")
    expect(page.get_by_test_id("derivation-status")).to_contain_text("Step 2 of 12")
    shown = {
        term: float(current.locator(f"[data-term={term}]").first.get_attribute("data-value"))
        for term in ("target", "carried", "local")
    }
    assert shown == {term: server[term]["value"] for term in ("target", "carried", "local")}
    text = current.locator("[data-term=target]").first.text_content().replace("−", "-")
    assert float(text) == pytest.approx(server["target"]["value"], rel=1e-3)
    factors = [float(n.get_attribute("data-value")) for n in current.locator("mn[data-symbol]").all()]
    assert factors == [server["factors"][0]["value"], server["factors"][0]["value"], server["factors"][2]["value"]]
    net_label = page.get_by_test_id("derivation-net-w5")
    assert float(net_label.get_attribute("data-value")) == server["target"]["value"]
    screenshot(page, "xor-derivation-dl-dw5")

    page.keyboard.press("End")
    expect(current.first).to_have_attribute("data-step-id", "b2")
    page.keyboard.press("Home")
    expect(page.get_by_test_id("derivation-current")).to_have_attribute("data-step-id", "yhat")
    rows = page.locator("table.gradcheck tbody tr")
    expect(rows).to_have_count(9)
    assert page.locator("table.gradcheck td.is-ok").count() == 9
    check = {row["name"]: row for row in derivation["check"]}
    assert float(page.locator("tr[data-param=w5] td").nth(1).get_attribute("data-value")) == check["w5"]["analytic"]
    screenshot(page, "xor-gradient-check")


def test_a_single_neuron_stays_stuck_on_xor(page: Page, base_url: str) -> None:
    open_page(page, base_url)
    page.get_by_test_id("neuron-run").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=neuron-step]').textContent) >= 600", timeout=TRAIN_TIMEOUT_MS,
        polling=200,
    )
    page.get_by_test_id("neuron-run").click()
    assert float(page.get_by_test_id("neuron-loss").get_attribute("data-value")) >= 0.24
    expect(page.get_by_test_id("neuron-verdict")).to_contain_text("No line separates XOR")


def test_the_xor_page_fits_a_phone(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, base_url)
    expect(page.get_by_test_id("derivation-current")).to_have_attribute("data-step-id", "yhat")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "xor-390x844")
