"""The step between a correct password and a signed-in browser, for accounts with a
second factor, and the step-up of a signed-in session that a site asks more of.

What is pending lives in the browser's session for five minutes: whose sign-in,
which methods it proved so far, where it goes next. Nothing is signed in until
the second factor is proved (``accounts.sign_in``).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.http import HttpRequest

from accounts.factors.assurance import with_second_factor
from accounts.models import SSOSession, User
from accounts.sign_in import sign_in

PENDING_KEY = "second_step"
PENDING_SECONDS = 300


@dataclass(frozen=True)
class Pending:
    user: User
    methods: tuple[str, ...]
    next_url: str


def begin(request: HttpRequest, user: User, methods: Sequence[str], next_url: str) -> None:
    request.session[PENDING_KEY] = {
        "user": str(user.pk),
        "methods": list(methods),
        "next": next_url,
        "since": int(time.time()),
    }


def pending(request: HttpRequest) -> Pending | None:
    state = request.session.get(PENDING_KEY)
    if not isinstance(state, dict) or time.time() - state.get("since", 0) > PENDING_SECONDS:
        return None
    # Whoever else may be signed in here: the password was proved in this browser, and
    # sign_in signs the other account out first ("Use another account").
    user = User.objects.filter(pk=state.get("user"), is_active=True).first()
    if user is None:
        return None
    return Pending(user, tuple(state.get("methods", ())), state.get("next", ""))


def finish(request: HttpRequest, step: Pending, factor: str) -> SSOSession:
    """Sign in (or step up) with the second factor ``factor`` proved on top of the first."""
    request.session.pop(PENDING_KEY, None)
    return sign_in(request, step.user, with_second_factor(step.methods, factor))
