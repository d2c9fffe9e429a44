"""What a lecture hall sees: whether elements lie on the screen without scrolling, the smallest text inside them,
and viewport screenshots (the projected screen, not the whole page)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

# 16:9 projectors at both ends of the range, and the smallest text allowed on a stage at each (README, issue 12).
PROJECTORS = {"720p": {"width": 1280, "height": 720}, "1080p": {"width": 1920, "height": 1080}}
MIN_TEXT_PX = {"720p": 15.0, "1080p": 22.0}

# Each visible text node under an element with its rendered font size in CSS px: an HTML or MathML parent's computed
# size, an SVG text's size times the scale its SVG is drawn at. Text clipped to a pixel (visually-hidden text for
# screen readers) and text of hidden elements are left out: nobody in the hall reads them.
TEXT_SIZES = """(root) => {
  const sizes = [];
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || !parent.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = range.getBoundingClientRect();
    if (box.width <= 2 || box.height <= 2) continue;
    let size = parseFloat(getComputedStyle(parent).fontSize);
    if (parent instanceof SVGElement) {
      const matrix = parent.getScreenCTM();
      size *= Math.hypot(matrix.a, matrix.b);
    }
    sizes.push([Math.round(size * 10) / 10, text.slice(0, 40)]);
  }
  return sizes;
}"""

# An element's box in the viewport, and the viewport's size.
BOX = """(el) => {
  const box = el.getBoundingClientRect();
  return { left: box.left, top: box.top, right: box.right, bottom: box.bottom,
           width: innerWidth, height: innerHeight };
}"""


def off_screen(page: Page, selector: str) -> str | None:
    """Why the first element matching `selector` is not wholly on the screen as it stands, or None when it is."""
    element = page.locator(selector).first
    if element.count() == 0:
        return f"{selector}: missing"
    if not element.is_visible():
        return f"{selector}: not visible"
    box = element.evaluate(BOX)
    inside = (
        box["left"] >= -0.5
        and box["top"] >= -0.5
        and box["right"] <= box["width"] + 0.5
        and box["bottom"] <= box["height"] + 0.5
    )
    if inside:
        return None
    return (
        f"{selector}: box ({box['left']:.0f}, {box['top']:.0f})–({box['right']:.0f}, {box['bottom']:.0f}) "
        f"is not inside the {box['width']}×{box['height']} screen"
    )


def small_text(page: Page, selector: str, min_px: float) -> list[tuple[float, str]]:
    """Texts inside the elements matching `selector` drawn smaller than `min_px`, with their sizes."""
    found: list[tuple[float, str]] = []
    for element in page.locator(selector).all():
        found += [(size, text) for size, text in element.evaluate(TEXT_SIZES) if size < min_px - 0.05]
    return found


def viewport_shot(page: Page, folder: Path, name: str) -> Path:
    """Save what the screen shows (not the whole page) as `<name>.png` in `folder`."""
    path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path))
    return path
