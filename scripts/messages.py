#!/usr/bin/env python
"""`make messages`: find every translatable string (Django's makemessages) and compile the
catalogues (.po -> .mo, with polib, so that no gettext tools are needed to run the product)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
IGNORED = [".venv", "node_modules", "tests", "bench", "test-artifacts", "staticfiles"]


def make_messages(root: Path = ROOT) -> None:
    env = {**os.environ, "DJANGO_DEBUG": "true"}
    ignore = [f"--ignore={name}" for name in IGNORED]
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "de", "-l", "es", "--no-location", "-v0", *ignore],
        cwd=root,
        env=env,
        check=True,
    )


def compile_messages(root: Path = ROOT) -> None:
    for po_path in (root / "locale").glob("*/LC_MESSAGES/django.po"):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))


if __name__ == "__main__":
    make_messages()
    compile_messages()
