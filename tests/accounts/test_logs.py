"""Log lines: each names its request (the balancer's X-Request-ID, or a fresh one), and the
JSON format is one parseable object a line with only the fields it promises."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from accounts.logs import JsonFormatter, RequestIdFilter
from accounts.models import StoredSigningKey
from accounts.oauth.keyring import forget_cached_ring

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """What the ``accounts`` logger writes through the production formatter, line by line."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("accounts")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_the_balancers_request_id_is_kept_and_sent_back():
    response = Client().get("/healthz", HTTP_X_REQUEST_ID="3f2a9c1e-7b4d-4e0a-9a51-0c6f2d8e1b77")
    assert response["X-Request-ID"] == "3f2a9c1e-7b4d-4e0a-9a51-0c6f2d8e1b77"


@pytest.mark.parametrize("offered", [None, "", "two\nlines", "x" * 65, 'quote"and space', "ada@example.org"])
def test_a_missing_or_unsafe_request_id_is_replaced_by_a_fresh_one(offered):
    headers = {} if offered is None else {"HTTP_X_REQUEST_ID": offered}
    first, second = Client().get("/healthz", **headers), Client().get("/healthz", **headers)
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_line_logged_while_serving_a_request_is_one_json_object_naming_it(client, settings, tmp_path, json_lines):
    settings.SSO = {**settings.SSO, "SIGNING_KEY_DIR": tmp_path}  # no keys: /readyz logs a warning
    StoredSigningKey.objects.all().delete()
    forget_cached_ring()
    assert client.get("/readyz", HTTP_X_REQUEST_ID="req-42").status_code == 503
    logged = [json.loads(line) for line in json_lines]
    assert logged, json_lines
    line = logged[-1]
    assert set(line) == {"time", "level", "logger", "request_id", "message"}
    assert line["request_id"] == "req-42" and line["level"] == "WARNING" and line["logger"] == "accounts.health"
    assert "signing keys not loaded" in line["message"]
    assert all("\n" not in raw for raw in json_lines)


def test_outside_a_request_and_with_an_exception(json_lines):
    logger = logging.getLogger("accounts.test")
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("failed with %s", "context", extra={"email": "ada@example.org"})
    line = json.loads(json_lines[-1])
    assert line["request_id"] == "-" and line["message"] == "failed with context"
    assert "ValueError: boom" in line["exception"]
    assert "ada@example.org" not in json_lines[-1]  # extra attributes are not dumped
