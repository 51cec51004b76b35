"""Rules of the layout that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _imported_modules(package: str) -> dict[str, set[str]]:
    imported: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        imported[str(path.relative_to(ROOT))] = names
    return imported


def test_accounts_never_imports_the_apps_built_on_it():
    offenders = {
        path: sorted(n for n in names if n.split(".")[0] in {"tokenexchange", "marketplace_demo"})
        for path, names in _imported_modules("accounts").items()
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_token_exchange_is_a_grant_of_the_one_table_and_discovery_lists_the_table():
    from accounts.oauth.discovery import provider_metadata
    from accounts.oauth.grants import GRANT_TYPES
    from tokenexchange.profiles import GRANT_TYPE, grant_token_exchange

    assert GRANT_TYPES[GRANT_TYPE] is grant_token_exchange
    assert provider_metadata()["grant_types_supported"] == list(GRANT_TYPES)
    assert {"authorization_code", "refresh_token", "client_credentials", GRANT_TYPE} == set(GRANT_TYPES)


def test_the_token_endpoint_is_one_drf_view_for_every_grant():
    from django.urls import resolve
    from rest_framework.views import APIView

    from accounts.oauth.token_endpoint import TokenView

    view = resolve("/oauth/token/").func
    assert view.cls is TokenView and issubclass(view.cls, APIView)


def test_the_tests_mirror_the_code():
    """tests/<package>/ for a package of ours; adversarial, browser, cluster and support cut across."""
    tests = ROOT / "tests"
    cross_cutting = {"adversarial", "browser", "cluster", "support"}
    unmatched = [
        str(folder.relative_to(tests))
        for folder in tests.rglob("*")
        if folder.is_dir()
        and folder.name != "__pycache__"
        and folder.relative_to(tests).parts[0] not in cross_cutting
        and not (ROOT / folder.relative_to(tests)).is_dir()
    ]
    assert unmatched == []
