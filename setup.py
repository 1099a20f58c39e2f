"""The build's one custom step: the wheel carries the top-level `templates/`, `static/` and
`locale/` folders (compiled `.mo` catalogues included) inside the `tilab_site` package, where
the settings look for them (tilab_site/__init__.py). Everything else is in pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
FOLDERS = ("templates", "static", "locale")
LEFT_OUT = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")


class BuildWithSiteFolders(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders in place
        for name in FOLDERS:
            source = HERE / name
            if not source.is_dir():
                raise SystemExit(f"{source} is missing: the wheel would ship without it")
            target = Path(self.build_lib) / "tilab_site" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(source, target, ignore=LEFT_OUT)
        catalogues = list((HERE / "locale").glob("*/LC_MESSAGES/django.mo"))
        if not catalogues:
            raise SystemExit("locale/ has no compiled catalogue (django.mo): run make messages")


setup(cmdclass={"build_py": BuildWithSiteFolders})
