"""Jinja2 templates shared by every page, with the navigation registry and the lesson path in every context."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from app import __version__
from app.server.pages import LESSON, PAGES

# The lesson path as plain data for presentation mode's script (base.html puts it in a data attribute).
_LESSON_DATA = [
    {"title": step.title, "path": step.path, "query": step.query, "anchor": step.anchor, "href": step.href}
    for step in LESSON
]


def _layout_context(request: Request) -> dict[str, Any]:
    """What the base layout needs on every page: the page registry, the lesson path and the app version."""
    return {"pages": PAGES, "lesson": LESSON, "lesson_data": _LESSON_DATA, "version": __version__}


def make_templates(templates_dir: Path) -> Jinja2Templates:
    """Templates loaded from `templates_dir`, each rendered with the layout context."""
    return Jinja2Templates(directory=templates_dir, context_processors=[_layout_context])
