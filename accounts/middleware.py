from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from accounts import signed_in_user
from accounts.oauth.errors import OAuthError, invalid_request, oauth_error_response
from accounts.sessions import current_sid, live_sso_session

logger = logging.getLogger("accounts")


class SSOSessionMiddleware:
    """Signs the browser out once its SSO session has ended anywhere.

    Ending an SSO session (sign out everywhere, admin terminate, a password
    change elsewhere) must stop the IdP's own browser session at once, not at
    cookie expiry. Its one read of the live session also loads the browser's
    user, which ``request.user`` then is (see accounts/signed_in_user.py).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        sid = current_sid(request)
        session = live_sso_session(sid) if sid else None
        if session is not None and signed_in_user.accepts(request, session.user):
            # One read for the session and its user, not one each.
            signed_in_user.sign_in_for_request(request, session.user)
            request.sso_session = session  # the views need it too
        elif request.user.is_authenticated:  # Django's own path decided
            if session is None or session.user_id != request.user.pk:
                logout(request)
            else:
                session.user = request.user
                request.sso_session = session
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class RejectNulBytesMiddleware:
    """Refuses any request whose query or form carries a NUL character.

    PostgreSQL text cannot hold NUL, so such a value reaching a query would be a
    500; no legitimate parameter of ours contains one. Endpoints for programs
    answer in the RFC 6749 error shape, pages with a readable page.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
    # Endpoints called by programs; the authorize and logout endpoints are pages.
    MACHINE_PATHS = ("/oauth/token/", "/oauth/revoke/", "/oauth/introspect/", "/oauth/userinfo/", "/api/",
                     "/.well-known/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith(self.MACHINE_PATHS):
                return oauth_error_response(invalid_request("Parameters must not contain NUL characters."))
            return render(request, "error.html", {
                "title": "Bad request", "message": "The request contained characters that are not allowed.",
            }, status=400)
        return self.get_response(request)

    def _has_nul(self, request) -> bool:
        if "\x00" in request.META.get("QUERY_STRING", "") or _nul_in(request.GET):
            return True
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            try:
                return _nul_in(request.POST)
            except (RequestDataTooBig, TooManyFieldsSent):
                return False  # answered later by the view's own size handling
        return False


def _nul_in(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())


class DatabaseUnavailableMiddleware:
    """The database down or unreachable is a 503 with Retry-After, never a traceback.

    The failed request's transaction is rolled back by the database; the next
    request reconnects (CONN_HEALTH_CHECKS), so service recovers by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        logger.warning("database unavailable: %s", type(exception).__name__)
        if request.path.startswith(RejectNulBytesMiddleware.MACHINE_PATHS):
            response = oauth_error_response(OAuthError(
                "temporarily_unavailable", "The service is temporarily unavailable; try again shortly.", status=503))
        else:
            response = render(request, "error.html", {
                "title": "Temporarily unavailable", "message": "We cannot serve this page right now. Please try again in a moment.",
            }, status=503)
        response["Retry-After"] = "5"
        return response
