"""The accessibility check every page must pass (the Chromium fixture: tests/support/chromium.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 320, "height": 700}  # the narrowest phone the design is for
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    yield context.new_page()
    context.close()


def _axe_file() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it (npm ci)", pytrace=False)
    return AXE


def with_axe(context):
    """axe-core in every page the context opens, as the browser makes the document: where a
    test checks dozens of pages, cheaper than sending its 650 kB into each one after it loads."""
    context.add_init_script(path=str(_axe_file()))
    return context


def serious_violations(page) -> list[str]:
    """axe-core's violations of serious or critical impact on the page as it is now (WCAG 2.x A and AA)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_file().read_text())  # through DevTools: the pages' CSP rightly forbids inline scripts
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {json.dumps([n['target'] for n in v['nodes']][:3])}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
