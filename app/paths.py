"""Where the app finds its templates and static files.

In an installed wheel they sit inside the ``app`` package; in a source checkout they are the
top-level ``templates/`` and ``static/`` folders beside it.
"""

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def _first(name: str) -> Path:
    for candidate in (_HERE / name, _HERE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"cannot find the {name}/ folder next to {_HERE}")


TEMPLATES_DIR = _first("templates")
STATIC_DIR = _first("static")
