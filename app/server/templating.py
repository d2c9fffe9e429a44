"""Jinja2 templates shared by every page, with the navigation registry in every template's context."""

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates

from app import __version__
from app.server.pages import PAGES


def _layout_context(request: Request) -> dict[str, Any]:
    """What the base layout needs on every page: the page registry and the app version."""
    return {"pages": PAGES, "version": __version__}


def make_templates(templates_dir: Path) -> Jinja2Templates:
    """Templates loaded from `templates_dir`, each rendered with the layout context."""
    return Jinja2Templates(directory=templates_dir, context_processors=[_layout_context])
