"""Every route of the IdP, signed out and signed in, answers junk without a 5xx.

The fuzz tests aim at the forms and endpoints known to parse input; this walks the URL
configuration itself, so a route added later is covered without anyone listing it. A form
posted where a page's script sends JSON once gave a 500 on the passkey endpoints (the body was
read after Django had parsed it as a form): the kind of gap only a walk of all routes finds.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.support.oauth import signed_in

pytestmark = pytest.mark.django_db

JUNK = {
    "next": "//evil.example/\u202e",
    "client_id": "' OR 1=1--",
    "token": "a.b.c",
    "code": "x" * 3000,
    "email": "<script>@example.org",
    "password": "\u00e9" * 5,
    "name": "-1",
    "state": "99999999999999999999",
    "credential": "{}",
    "decision": "allow",
    "language": "zz",
}
# What a route's converters accept, so the request reaches the view rather than a 404.
ARGUMENTS = {"int": "1", "slug": "x", "str": "x", "uuid": "00000000-0000-0000-0000-000000000001", "path": "x"}


def routes(patterns=None, prefix: str = "") -> list[str]:
    """Every path of the URL configuration that can be written without a regular expression."""
    found = []
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.extend(routes(pattern.url_patterns, text))
        elif isinstance(pattern, URLPattern) and not re.search(r"[\^$(\\]", text):
            found.append("/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: ARGUMENTS.get(m.group(1) or "str", "x"), text))
    return sorted(set(found))


def requests(client: Client, path: str):
    yield "GET", client.get(path, JUNK)
    yield "POST form", client.post(path, JUNK, content_type="application/x-www-form-urlencoded")
    yield "POST multipart", client.post(path, JUNK)  # the test client's default encoding
    yield "POST JSON", client.post(path, json.dumps(JUNK), content_type="application/json")
    yield "POST JSON list", client.post(path, "[1]", content_type="application/json")
    yield "PUT", client.put(path, "x=1")
    yield "DELETE", client.delete(path)


def test_the_walk_covers_the_pages_the_endpoints_and_the_admin():
    paths = routes()
    for expected in ("/login/", "/login/passkey/", "/oauth/token/", "/api/v1/me", "/admin/", "/account/"):
        assert expected in paths, expected
    assert len(paths) > 80


@pytest.mark.parametrize("who", ["signed out", "a user", "an administrator"])
def test_every_route_answers_junk_without_a_server_error(make_user, who):
    person = None
    if who != "signed out":
        staff = who == "an administrator"
        person = make_user("walker@example.org", is_staff=staff, is_superuser=staff)
    failures, pages = [], {}
    for path in routes():
        # A fresh browser for each route: a route that signs out leaves the next one signed in.
        client = Client(raise_request_exception=False)
        if person is not None:
            signed_in(client, person)
        for method, response in requests(client, path):
            if response.status_code >= 500:
                failures.append(f"{method} {path}: {response.status_code}")
            pages.setdefault(path, response.status_code)  # the GET's
    assert not failures, "\n".join(failures)
    # The walk reached the views as that browser: the pages shown, or sign-in asked for.
    assert pages["/account/"] == (302 if person is None else 200)
    assert (pages["/admin/"] == 200) == (who == "an administrator")
