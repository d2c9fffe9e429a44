"""Where the web assets (static files and templates) live, installed or not, and where the server keeps its data."""

import os
from pathlib import Path

_APP_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Folder `name` ("static" or "templates"): the copy packaged inside `app/` by a wheel, else the repo root's.

    A regular `pip install .` puts the repo-root folders into `app/` (hatch force-include); an editable install
    and a plain checkout leave them beside `app/`, at the repository root.
    """
    packaged = _APP_DIR / name
    return packaged if packaged.is_dir() else _APP_DIR.parent / name


def data_home() -> Path:
    """The folder of the server's lasting data (the rooms' database): $XDG_DATA_HOME/backprop-lab, else
    ~/.local/share/backprop-lab (a cache folder is no place for a class's work: it may be cleared)."""
    base = os.environ.get("XDG_DATA_HOME", "")
    return (Path(base) if Path(base).is_absolute() else Path.home() / ".local" / "share") / "backprop-lab"
