"""The XOR page in Chromium: training in the server, drawn live; the derivation shows the server's numbers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import expect

from tests.e2e.stage import PROJECTORS, off_screen, viewport_shot

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
    return {u: Number(point.dataset.u), v: Number(point.dataset.v),
            one: point.classList.contains('surface__point--one'),
            luminance: 0.2126 * r + 0.7152 * g + 0.0722 * b};
  });
}"""


def loss(page: Page) -> float:
    return float(page.get_by_test_id("xor-loss").get_attribute("data-value"))


def open_page(page: Page, base_url: str, path: str = "/xor") -> list[dict]:
    """Open /xor (or another address of it) and collect every JSON message the server sends on its websocket."""
    received: list[dict] = []

    def keep(payload: str | bytes) -> None:
        if isinstance(payload, str):
            received.append(json.loads(payload))

    page.on("websocket", lambda ws: ws.on("framereceived", keep))
    page.goto(f"{base_url}{path}")
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
        "() => Number(document.querySelector('[data-testid=xor-loss]')?.dataset.value) < 0.01",
        timeout=TRAIN_TIMEOUT_MS,
        polling=200,
    )
    page.get_by_test_id("xor-run").click()
    expect(page.get_by_test_id("xor-run")).to_have_text("Run")
    assert float(page.get_by_test_id("xor-loss").get_attribute("data-value")) < 0.01  # the text may read 9.4×10⁻⁴
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


def test_the_slides_question_comes_first_and_the_single_neuron_answers_it_once_stuck(page: Page, base_url: str) -> None:
    open_page(page, base_url)
    expect(page.locator("#layers-heading")).to_have_text(
        "How many layers do you need to construct a neural network that achieves XOR?"
    )
    for spoiler in ("No line separates", "One hidden layer is enough", "local minimum"):
        expect(page.get_by_text(spoiler).locator("visible=true")).to_have_count(0)
    expect(page.get_by_test_id("xor-answers-wait")).to_be_visible()

    page.get_by_test_id("neuron-run").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=neuron-step]')?.textContent) >= 600",
        timeout=TRAIN_TIMEOUT_MS,
        polling=200,
    )
    page.get_by_test_id("neuron-run").click()
    assert float(page.get_by_test_id("neuron-loss").get_attribute("data-value")) >= 0.24
    expect(page.get_by_test_id("neuron-verdict")).to_contain_text("No line separates XOR")
    expect(page.get_by_test_id("neuron-answer")).to_be_visible()
    expect(page.get_by_test_id("network-answer")).to_be_hidden()
    expect(page.get_by_test_id("xor-answers-wait")).to_be_hidden()


def test_a_2_2_1_run_stuck_in_a_local_minimum_says_so_and_offers_another_seed(
    page: Page, base_url: str, screenshot_dir: Path
) -> None:
    page.set_viewport_size(PROJECTORS["720p"])
    open_page(page, base_url, "/xor?present=1")
    page.get_by_test_id("xor-seed").fill("5")
    page.get_by_test_id("xor-seed").press("Tab")
    expect(page.get_by_test_id("xor-step-count")).to_have_text("0")
    page.get_by_test_id("xor-run").click()
    stuck = page.get_by_test_id("xor-stuck")
    expect(stuck).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    page.get_by_test_id("xor-run").click()
    expect(page.get_by_test_id("xor-verdict")).to_contain_text("Stuck in a local minimum")
    assert 0.165 < loss(page) < 0.175
    assert int(page.get_by_test_id("xor-step-count").inner_text()) >= 1000  # when exactly: tests/services/test_xor.py
    assert off_screen(page, "[data-testid=xor-next-seed]") is None, "the offer is on the projected screen"
    viewport_shot(page, screenshot_dir, "xor-stuck-seed-5-720p")
    expect(page.get_by_test_id("stuck-answer")).to_be_attached()

    offer = page.get_by_test_id("xor-next-seed")
    expect(offer).to_have_text("Try seed 6")
    offer.click()
    expect(page.get_by_test_id("xor-seed")).to_have_value("6")
    expect(page.get_by_test_id("xor-run")).to_have_text("Pause")  # the new seed runs at once
    expect(stuck).to_be_hidden()
    page.get_by_test_id("xor-run").click()
    assert "seed=6" in page.url


# Every pair of boxes that meet among a network diagram's label plates, node numbers, nodes and bias stubs (the
# edge labels' plates lie on their own edges by design).
MEETING_LABELS = """(root) => {
  const box = (el, name) => {
    const b = el.getBoundingClientRect();
    return { name, l: b.left, r: b.right, t: b.top, b: b.bottom };
  };
  const items = [
    ...[...root.querySelectorAll('.network__plate')].map((p) => box(p, 'label ' + p.nextElementSibling.dataset.testid)),
    ...[...root.querySelectorAll('.network__value')].filter((t) => t.textContent).map((t) => box(t, t.dataset.testid)),
    ...[...root.querySelectorAll('.network__node circle')].map((c, i) => box(c, 'node ' + i)),
    ...[...root.querySelectorAll('.network__edge--bias')].map((l, i) => box(l, 'stub ' + i)),
  ];
  const meets = [];
  items.forEach((a, i) => items.slice(i + 1).forEach((b) => {
    const apart = a.l >= b.r - 0.5 || b.l >= a.r - 0.5 || a.t >= b.b - 0.5 || b.t >= a.b - 0.5;
    if (!apart) meets.push(a.name + ' meets ' + b.name);
  }));
  return { meets, labels: items.filter((item) => item.name.startsWith('label')).length };
}"""

# The four point labels of a decision surface: pairs that meet, and labels over a point.
MEETING_POINT_LABELS = """(root) => {
  const rect = (el) => el.getBoundingClientRect();
  const labels = [...root.querySelectorAll('.surface__label')].map((t) => [t.textContent, rect(t)]);
  const dots = [...root.querySelectorAll('.surface__point circle')].map(rect);
  const meet = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5
    && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const found = [];
  labels.forEach(([name, a], i) => {
    labels.slice(i + 1).forEach(([other, b]) => meet(a, b) && found.push(name + ' meets ' + other));
    dots.forEach((dot, j) => meet(a, dot) && found.push(name + ' covers point ' + j));
  });
  return { found, count: labels.length };
}"""

# The colour of each network label's text and its opacity through its ancestors, as drawn.
LABEL_INKS = """(root) => [...root.querySelectorAll('.network__label, .network__value, .network__name')]
  .filter((t) => t.textContent).map((t) => {
    let opacity = 1;
    for (let el = t; el && el !== root; el = el.parentElement) opacity *= Number(getComputedStyle(el).opacity);
    return [t.textContent, getComputedStyle(t).fill, opacity];
  })"""


def contrast_on_white(css: str, opacity: float) -> float:
    """WCAG contrast of an rgb() colour drawn with `opacity` over white."""
    channels = [float(c) / 255 for c in css[css.index("(") + 1 : css.index(")")].split(",")[:3]]
    blended = [opacity * c + (1 - opacity) for c in channels]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in blended]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return 1.05 / (luminance + 0.05)


def assert_labels_apart(page: Page, selector: str, context: str) -> None:
    found = page.locator(selector).evaluate(MEETING_LABELS)
    assert found["labels"] == 9 and found["meets"] == [], f"{context}: {found['meets']}"


@pytest.mark.parametrize("size", [None, "720p", "1080p"])
def test_no_two_labels_of_the_network_diagrams_meet(page: Page, base_url: str, size: str | None) -> None:
    """Weights, gradients and every derivation step, on a laptop and on both projectors (each step on screen)."""
    if size:
        page.set_viewport_size(PROJECTORS[size])
    open_page(page, base_url, "/xor?spf=200&present=1" if size else "/xor?spf=200")
    assert_labels_apart(page, "#xor-diagram svg", "weights at step 0")
    page.get_by_test_id("xor-run").click()
    page.wait_for_function(
        "() => Number(document.querySelector('[data-testid=xor-loss]')?.dataset.value) < 0.001",
        timeout=TRAIN_TIMEOUT_MS,
        polling=200,
    )
    page.get_by_test_id("xor-run").click()
    page.get_by_test_id("xor-show-gradients").check()  # gradients are tiny now: the longest numbers
    expect(page.get_by_test_id("xor-net-w1")).to_contain_text("∂l/∂w")
    assert_labels_apart(page, "#xor-diagram svg", "gradients after training")

    if size:
        page.get_by_test_id("lesson-next").click()  # the derivation's stop, on the same page
    else:
        page.locator("#derivation").scroll_into_view_if_needed()
    page.get_by_test_id("xor-derive").click()
    status = page.get_by_test_id("derivation-status")
    for step in range(1, 13):
        expect(status).to_contain_text(f"Step {step} of 12")
        assert_labels_apart(page, "#xor-derivation-diagram svg", f"derivation step {step}")
        if size:
            assert off_screen(page, "[data-testid=derivation-current]") is None, f"derivation step {step}"
        inks = page.locator("#xor-derivation-diagram svg").evaluate(LABEL_INKS)
        faint = [
            (text, round(contrast_on_white(fill, opacity), 2))
            for text, fill, opacity in inks
            if contrast_on_white(fill, opacity) < 4.5
        ]
        assert faint == [], f"derivation step {step}: labels under 4.5:1 on white"
        if step < 12:
            page.get_by_test_id("derivation-next").click()


@pytest.mark.parametrize("size", [None, "720p"])
def test_the_hidden_space_labels_of_the_four_points_never_pile_up(
    page: Page, base_url: str, screenshot_dir: Path, size: str | None
) -> None:
    if size:
        page.set_viewport_size(PROJECTORS[size])
    open_page(page, base_url, "/xor?present=1" if size else "/xor")
    hidden = page.locator("#xor-hidden")
    zs = [
        (float(p.get_attribute("data-u")), float(p.get_attribute("data-v")))
        for p in hidden.locator("[data-testid=xor-hidden-point]").all()
    ]
    spread = max(max(z[0] for z in zs) - min(z[0] for z in zs), max(z[1] for z in zs) - min(z[1] for z in zs))
    assert spread < 0.2, "at step 0 the four points sit close together in the hidden space"
    found = hidden.evaluate(MEETING_POINT_LABELS)
    assert found["count"] == 4 and found["found"] == [], found
    for selector in ("#xor-surface", "#neuron-surface"):
        found = page.locator(selector).evaluate(MEETING_POINT_LABELS)
        assert found["count"] == 4 and found["found"] == [], (selector, found)
    viewport_shot(page, screenshot_dir, f"xor-hidden-step-0-{size or 'laptop'}")


def test_the_derivation_opens_on_x_1_1_with_the_slides_sigma_prime_line_from_the_engine(
    page: Page, base_url: str
) -> None:
    received = open_page(page, base_url)
    expect(page.get_by_test_id("xor-example")).to_have_value("3")
    page.wait_for_function("() => document.querySelector('[data-testid=derivation-status]')?.textContent.length > 0")
    derivation = [m for m in received if m["type"] == "xor_derivation"][-1]
    assert derivation["example"] == 3 and (derivation["values"]["x1"], derivation["values"]["x2"]) == (1, 1)
    page.locator("#xor-derivation").focus()
    for step in derivation["steps"][1:]:
        page.keyboard.press("ArrowRight")
        current = page.get_by_test_id("derivation-current")
        expect(current).to_have_attribute("data-step-id", step["id"])
        expect(current.locator(".derivation__line--sigma").first).to_contain_text("σ′(a)=σ(a)(1−σ(a))")
        shown = {
            term: float(current.locator(f"[data-term={term}]").first.get_attribute("data-value"))
            for term in ("sigma-a", "sigma", "sigma-prime")
        }
        sigmoid = step["sigmoid"]
        assert shown == {"sigma-a": sigmoid["a"], "sigma": sigmoid["sigma"], "sigma-prime": sigmoid["derivative"]}
        numbers = [float(n.get_attribute("data-value")) for n in current.locator("mn[data-symbol]").all()]
        assert 0 not in numbers, f"{step['id']}: a factor of 0 makes the line say ·0 = 0"


def test_the_xor_page_fits_a_phone(page: Page, base_url: str, screenshot: Callable[[Page, str], Path]) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, base_url)
    expect(page.get_by_test_id("derivation-current")).to_have_attribute("data-step-id", "yhat")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "xor-390x844")
