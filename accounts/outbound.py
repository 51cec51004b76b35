"""POSTs the IdP makes to systems it does not own: partner sites' back-channel
logout endpoints and security event receivers, the legacy identity provider.

Redirects are never followed: the registered URI is the only address the IdP
sends a credential to, and a 3xx answer is a failed request (otherwise a partner
answering 302 would make the IdP fetch any URL for it, and a logout delivery
that reached nobody would count as delivered).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # urllib then raises HTTPError with the 3xx status


_opener = urllib.request.build_opener(_RefuseRedirects)

MAX_BODY_BYTES = 64 * 1024


def post_form(url: str, form: dict[str, str], *, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST ``form`` url-encoded; see ``post``."""
    return post(url, urlencode(form).encode(), "application/x-www-form-urlencoded", headers=headers, timeout=timeout)


def post(url: str, body: bytes, content_type: str, *, headers: dict[str, str], timeout: float) -> tuple[int, bytes]:
    """POST ``body``; returns (status, body) for any HTTP answer (a redirect
    included, unfollowed); raises OSError or ValueError when nothing answered."""
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type, **headers})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return response.status, response.read(MAX_BODY_BYTES)
    except urllib.error.HTTPError as error:
        return error.code, b""
