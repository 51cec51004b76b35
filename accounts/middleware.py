from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout

from accounts.sessions import current_sid, touch_sso_session


class SSOSessionMiddleware:
    """Signs the browser out once its SSO session has ended anywhere.

    Ending an SSO session (sign out everywhere, admin terminate, a password
    change elsewhere) must stop the IdP's own browser session at once, not at
    cookie expiry.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            sid = current_sid(request)
            if sid is None or not touch_sso_session(sid):
                logout(request)
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
