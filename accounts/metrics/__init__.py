"""Prometheus metrics of the IdP (prometheus-client), and the calls that count.

Labels are chosen from fixed sets only (a URL pattern's name, a status code, a grant
type we support, an RFC 6749 error code, an algorithm, a key id), never from anything
a user typed or is: no e-mail, no name, no address, no path with an identifier in it.

Under gunicorn each worker counts for itself; with ``PROMETHEUS_MULTIPROC_DIR`` set
(sso_project/gunicorn.conf.py clears it at start and forgets dead workers) every
worker's counts reach the scrape, whichever worker answers it (``endpoint.py``).
"""

from __future__ import annotations

import os

# The files of multiprocess mode go to this folder, which must exist before the first metric.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

from prometheus_client import Counter, Histogram  # noqa: E402

REQUESTS = Counter(
    "sso_http_requests",
    "HTTP requests answered, by URL pattern name, method and status code.",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "sso_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by URL pattern name.",
    ["endpoint"],
    buckets=(0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
GRANTS = Counter(
    "sso_token_grants",
    "Token endpoint requests, by grant type and outcome ('issued' or the RFC 6749 error code).",
    ["grant_type", "outcome"],
)
SIGN_INS = Counter("sso_sign_ins", "Interactive sign-ins, by outcome ('success' or 'failure').", ["outcome"])
LOCKOUTS = Counter("sso_lockouts", "Sign-in attempts stopped by a lockout, the one that starts it included.")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def grant_type_label(value: object) -> str:
    from accounts.oauth.grants import GRANT_TYPES

    return value if isinstance(value, str) and value in GRANT_TYPES else "other"


def count_grant(grant_type: object, outcome: str) -> None:
    GRANTS.labels(grant_type_label(grant_type), outcome).inc()


def count_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method if method in METHODS else "other", str(status)).inc()
    LATENCY.labels(endpoint).observe(seconds)


def connect_signals() -> None:
    """Sign-ins and lockouts, from the signals Django and django-axes send anyway."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_login_failed

    user_logged_in.connect(_signed_in, dispatch_uid="sso-metrics-sign-in")
    user_login_failed.connect(_sign_in_failed, dispatch_uid="sso-metrics-sign-in-failed")
    user_locked_out.connect(_locked_out, dispatch_uid="sso-metrics-lockout")


def _signed_in(sender, **kwargs) -> None:
    SIGN_INS.labels("success").inc()


def _sign_in_failed(sender, **kwargs) -> None:
    SIGN_INS.labels("failure").inc()


def _locked_out(sender, **kwargs) -> None:
    LOCKOUTS.inc()
