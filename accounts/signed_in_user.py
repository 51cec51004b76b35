"""The browser's user, taken from the row the SSO-session read already loaded.

Every signed-in page needs the browser's user and its live SSO session. Django's
``AuthenticationMiddleware`` would load the user with a query of its own
(``ModelBackend.get_user``); the SSO-session read joins the user instead, and
``accepts`` applies to that row the checks ``django.contrib.auth.get_user``
applies to the row it loads. Whatever it is not sure of (another backend, a
session hash made with a fallback secret, any mismatch) it leaves to Django's
own path, which reads the user again and decides as always.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from accounts.models import User

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
_model_backend = ModelBackend()


def accepts(request: HttpRequest, user: User) -> bool:
    """True when Django's ``get_user`` would return ``user`` for this request's session."""
    session = request.session
    if session.get(BACKEND_SESSION_KEY) != MODEL_BACKEND or MODEL_BACKEND not in settings.AUTHENTICATION_BACKENDS:
        return False
    if session.get(SESSION_KEY) != user._meta.pk.value_to_string(user):
        return False
    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash or not constant_time_compare(session_hash, user.get_session_auth_hash()):
        return False
    return _model_backend.user_can_authenticate(user)


def sign_in_for_request(request: HttpRequest, user: User) -> None:
    """What ``AuthenticationMiddleware``'s lazy ``request.user`` would resolve to."""
    # Its caches too, so that nothing loads the user again (request.auser() included).
    request.user = request._cached_user = request._acached_user = user
