from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from accounts.factors.assurance import MFA
from accounts.oauth.errors import OAuthError, invalid_request, oauth_error_response
from accounts.oauth.keyring import KeyRingError
from accounts.oauth.registry import form_action_origins
from accounts.pages import error_page
from accounts.sessions import current_sid, live_sso_session

logger = logging.getLogger("accounts")


class SSOSessionMiddleware:
    """Signs the browser out once its SSO session has ended anywhere.

    Ending an SSO session (sign out everywhere, admin terminate, a password
    change elsewhere) must stop the IdP's own browser session at once, not at
    cookie expiry. The browser's user is Django's (``AuthenticationMiddleware``,
    with every check of ``get_user``); its live SSO session is read here once
    and kept for the views (``request.sso_session``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            sid = current_sid(request)
            session = live_sso_session(sid) if sid else None
            if session is None or session.user_id != request.user.pk:
                logout(request)  # its SSO session already ended (or is another user's): nothing more to end
            else:
                session.user = request.user
                request.sso_session = session
        return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header (Django 5.2 has none built in).

    Pages get ``form-action`` too: a form may go to this site and, through the
    redirects that follow it, to a registered site's redirect URI, nowhere else.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY
        self._pages: tuple[tuple[str, ...], str] | None = None

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response.headers:
            is_page = response.get("Content-Type", "").startswith("text/html") and not 300 <= response.status_code < 400
            response.headers["Content-Security-Policy"] = self._page_policy() if is_page else self.policy
        return response

    def _page_policy(self) -> str:
        try:
            origins = form_action_origins()
        except DatabaseError:  # the page saying the database is down still goes out, forms kept to this site
            origins = ()
        if self._pages is None or self._pages[0] != origins:
            allowed = " ".join(["'self'", *origins])
            self._pages = (origins, f"{self.policy}; form-action {allowed}")
        return self._pages[1]


class RejectNulBytesMiddleware:
    """Refuses any request whose query or form carries a NUL character.

    PostgreSQL text cannot hold NUL, so such a value reaching a query would be a
    500; no legitimate parameter of ours contains one. Endpoints for programs
    answer in the RFC 6749 error shape, pages with a readable page.
    """

    FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
    # Endpoints called by programs; the authorize and logout endpoints are pages.
    MACHINE_PATHS = (
        "/oauth/token/",
        "/oauth/revoke/",
        "/oauth/introspect/",
        "/oauth/userinfo/",
        "/api/",
        "/.well-known/",
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith(self.MACHINE_PATHS):
                return oauth_error_response(invalid_request("Parameters must not contain NUL characters."))
            return error_page(
                request, _("Bad request"), _("The request contained characters that are not allowed."), 400
            )
        return self.get_response(request)

    def _has_nul(self, request) -> bool:
        if "\x00" in request.META.get("QUERY_STRING", "") or _nul_in(request.GET):
            return True
        if request.method == "POST" and request.content_type in self.FORM_TYPES:
            try:
                return _nul_in(request.POST)
            except (RequestDataTooBig, TooManyFieldsSent, BadRequest, MultiPartParserError):
                # Answered by the view's own handling of the body: the RFC 6749 error on the
                # client endpoints (a multipart body without a valid boundary included), the
                # 400 page elsewhere.
                return False
        return False


def _nul_in(params) -> bool:
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in params.lists())


class ServiceUnavailableMiddleware:
    """A dependency of this node missing is a 503 with Retry-After, never a traceback: the
    database down or unreachable, or signing keys the node cannot open (a wrong
    SIGNING_KEY_ENCRYPTION_KEY, an empty ring). A balancer then tries another node, as
    ``/readyz`` already tells it to.

    The failed request's transaction is rolled back by the database; the next
    request reconnects (CONN_HEALTH_CHECKS), so service recovers by itself.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning("database unavailable: %s", type(exception).__name__)
        elif isinstance(exception, KeyRingError):  # the operator's to fix: the message says how
            logger.error("signing keys unavailable: %s", exception)
        else:
            return None
        if request.path.startswith(RejectNulBytesMiddleware.MACHINE_PATHS):
            response = oauth_error_response(
                OAuthError(
                    "temporarily_unavailable", "The service is temporarily unavailable; try again shortly.", status=503
                )
            )
        else:
            response = error_page(
                request,
                _("Temporarily unavailable"),
                _("We cannot serve this page right now. Please try again in a moment."),
                503,
            )
        response["Retry-After"] = "5"
        return response


class StaffSecondFactorMiddleware:
    """With ADMIN_REQUIRE_MFA (on outside the demo), the admin console opens to staff only
    in a session whose sign-in proved a second factor: one with an authenticator app is
    asked for it (a step-up), one without is sent to set one up first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.ADMIN_REQUIRE_MFA and request.path_info.startswith("/admin/") and _staff(request):
            session = getattr(request, "sso_session", None)
            methods = session.auth_methods.split() if session is not None else []
            if MFA not in methods and not request.path_info.startswith(("/admin/login/", "/admin/logout/")):
                return _ask_for_second_factor(request, methods)
        return self.get_response(request)


def _staff(request) -> bool:
    return request.user.is_authenticated and request.user.is_staff


def _ask_for_second_factor(request, methods: list[str]):
    from accounts.factors import has_second_factor, second_step

    if has_second_factor(request.user):
        second_step.begin(request, request.user, methods, request.get_full_path())
        return redirect("accounts:second_factor")
    messages.info(request, _("The admin console asks staff for a second step. Set up an authenticator app first."))
    return redirect(reverse("accounts:authenticator_setup") + "?" + urlencode({"next": request.get_full_path()}))
