"""Every lesson stop is one projected screen (issue 12): at 1280×720 and 1920×1080 with ?present=1 the elements a
stop needs lie on the screen together, without the test scrolling, and no text in them (or in the presentation bar)
is smaller than 22 px at 1080p or 15 px at 720p. Viewport screenshots of every stop are saved as artifacts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e.stage import MIN_TEXT_PX, PROJECTORS, off_screen, small_text, viewport_shot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.e2e

BAR = "[data-testid=present-bar]"


def draw_example(page: Page) -> None:
    """Draw the example 3 on /lenet and wait for LeNet's answer."""
    page.locator("[data-testid=map-conv2-0]").wait_for()
    page.select_option("#lenet-example", "3")
    page.wait_for_function("() => document.querySelector('[data-testid=prediction]')?.textContent.trim().length > 0")


@dataclass(frozen=True)
class Stop:
    """A stop of the lesson: its address and the elements the hall must see together on its screen."""

    name: str
    url: str
    elements: tuple[str, ...]
    ready: str  # a selector that exists once the server's first answer is drawn
    prepare: Callable[[Page], None] | None = field(default=None)


STOPS = (
    Stop(
        "neuron",
        "/neuron?present=1",
        ("[data-testid=neuron-w1]", "[data-testid=neuron-b]", "#neuron-surface"),
        "#neuron-surface canvas",
    ),
    Stop(
        "xor",
        "/xor?present=1",
        ("[data-testid=xor-run]", "#xor-diagram", "#xor-surface", "[data-testid=xor-loss]"),
        "#xor-diagram svg",
    ),
    Stop(
        "kernels",
        "/kernels?present=1",
        ("[data-testid=kernels-controls]", "#kernels-preimage", "#kernels-lifted", "#kernels-svm"),
        "[data-testid=kernels-svm-point]",
    ),
    Stop(
        "xor-derivation",
        "/xor?present=1#derivation",
        ("[data-testid=derivation-current]", "#xor-derivation-diagram"),
        "#xor-derivation-diagram svg",
    ),
    Stop("why-backprop", "/why-backprop?present=1", ("#why-slide-counts",), "#why-slide-counts table"),
    Stop(
        "conv",
        "/conv?present=1",
        (
            "[data-testid=conv-input]",
            "[data-testid=conv-kernel]",
            "[data-testid=conv-output]",
            "[data-testid=conv-sum]",
        ),
        "[data-testid=conv-output] table",
    ),
    Stop(
        "conv-stride2",
        "/conv?present=1&s=2",
        (
            "[data-testid=conv-input]",
            "[data-testid=conv-kernel]",
            "[data-testid=conv-output]",
            "[data-testid=conv-sum]",
        ),
        "[data-testid=conv-output] table",
    ),
    Stop(
        "conv-volume",
        "/conv?present=1&input=volume&n=5&c=3&kernel=volume&f=2&s=2&p=1",
        (
            "[data-testid=conv-input]",
            "[data-testid=conv-kernel]",
            "[data-testid=conv-output]",
            "[data-testid=conv-sum]",
        ),
        "[data-testid=conv-output] .conv-grid-wrap:nth-child(2) table",
    ),
    Stop(
        "lenet",
        "/lenet?present=1",
        ("#draw-canvas", "[data-testid=prediction]", "[data-testid=layer-strip]"),
        "[data-testid=map-conv2-0]",
        draw_example,
    ),
    Stop(
        "lenet-backward",
        "/lenet?present=1&example=6&backward=1",
        (
            "#lenet-stage",
            "[data-testid=backward-loss]",
            "[data-testid=backward-grad-scores]",
            "[data-testid=backward-step]",
            "[data-testid=backward-stage]",
            "[data-testid=backward-explain]",
            "[data-testid=layer-strip]",
        ),
        "[data-testid=backward-grad-scores] li",
    ),
    Stop(
        "lenet-input-gradient",
        "/lenet?present=1&example=6#input-gradient",
        (
            "#input-gradient",
            "[data-testid=saliency-map]",
            "[data-testid=times-input-map]",
            "[data-testid=fgsm-epsilon]",
            "[data-testid=fgsm-perturbation]",
            "[data-testid=fgsm-image]",
            "[data-testid=fgsm-prediction]",
            "[data-testid=dream-run]",
        ),
        "#input-gradient[data-empty=false] [data-testid=fgsm-prediction]",
    ),
)


def problems(page: Page, stop: Stop) -> list[str]:
    """What keeps the stop's elements from lying together on the screen as it stands."""
    return [reason for selector in stop.elements if (reason := off_screen(page, selector))]


@pytest.mark.parametrize("size", PROJECTORS)
@pytest.mark.parametrize("stop", STOPS, ids=lambda stop: stop.name)
def test_stop_fits_one_projected_screen_with_readable_text(
    page: Page, base_url: str, console_errors: list[str], screenshot_dir: Path, stop: Stop, size: str
) -> None:
    page.set_viewport_size(PROJECTORS[size])
    page.goto(base_url + stop.url)
    page.locator(stop.ready).first.wait_for()
    if stop.prepare:
        stop.prepare(page)
    deadline = time.monotonic() + 3  # the page places itself once its first frames are drawn
    while (found := problems(page, stop)) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    viewport_shot(page, screenshot_dir, f"stage-{stop.name}-{size}")
    assert found == [], f"{stop.url} at {size}: " + "; ".join(found)

    minimum = MIN_TEXT_PX[size]
    small = {selector: small_text(page, selector, minimum) for selector in (*stop.elements, BAR)}
    assert {selector: texts for selector, texts in small.items() if texts} == {}, f"text under {minimum} px"
    bar = page.locator(BAR).bounding_box()
    assert bar["height"] < 3 * MIN_TEXT_PX[size] * 1.6, "the presentation bar stays on one line"
    assert console_errors == []
