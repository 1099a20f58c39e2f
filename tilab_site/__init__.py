"""Where the platform's templates, static sources and translations are.

In a checkout they are the top-level folders `templates/`, `static/` and `locale/`, edited in
place (`make run`, `make test`). The wheel carries them inside this package (setup.py copies
them here when it builds), so an installed platform finds them beside its code, whatever
directory it is started from. Nothing here imports Django.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
CHECKOUT_DIR = PACKAGE_DIR.parent
FOLDERS = ("templates", "static", "locale")


def folder(name: str) -> Path:
    """The installed copy of a folder when this package carries one, else the checkout's."""
    installed = PACKAGE_DIR / name
    return installed if installed.is_dir() else CHECKOUT_DIR / name


TEMPLATES_DIR = folder("templates")
STATIC_DIR = folder("static")
LOCALE_DIR = folder("locale")
