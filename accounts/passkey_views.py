"""Passkey endpoints for the small script in accounts/static/accounts/passkeys.js: options
out, the browser's response back, JSON both ways. The rules live in accounts.factors.passkeys."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.audit import EventType, record_event
from accounts.factors import has_second_factor, recovery, second_step
from accounts.factors.assurance import MFA
from accounts.factors.passkeys import (
    PasskeyRefused,
    authenticate,
    authentication_options,
    register,
    registration_options,
)
from accounts.forms import ConfirmPasswordForm
from accounts.models import Passkey, RecoveryCode, TOTPAuthenticator
from accounts.sessions import EndReason, current_sid, end_user_sessions
from accounts.sign_in import sign_in
from accounts.validators import reject_control_characters


def _options(body: str) -> HttpResponse:
    response = HttpResponse(body, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


def _refused(message: str, status: int = 400) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def _body(request) -> dict:
    """The JSON object passkeys.js posts; any other body is an empty one, which the views refuse.
    A form body is never read as JSON: once Django has parsed a multipart body (the NUL check,
    CSRF), its raw bytes are gone."""
    if request.content_type != "application/json":
        return {}
    try:
        parsed = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _credential(body: dict) -> str:
    credential = body.get("credential")
    return json.dumps(credential) if isinstance(credential, dict) else ""


def _next(request, body: dict) -> str:
    target = body.get("next") if isinstance(body.get("next"), str) else ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("accounts:account")


NOT_REGISTERED = gettext_lazy("This passkey could not be added. Try again, or use another one.")
NOT_ACCEPTED = gettext_lazy("This passkey was not accepted. Try again, or sign in another way.")


# --- Adding and removing, on the account page ---------------------------------------


@never_cache
@sensitive_post_parameters("password")
@require_POST
@login_required
def register_options_view(request):
    form = ConfirmPasswordForm(request, request.POST)
    if not form.is_valid():
        return _refused(_("Your current password was not entered correctly."))
    return _options(registration_options(request, request.user))


@never_cache
@require_POST
@login_required
def register_view(request):
    body = _body(request)
    name = body.get("name") if isinstance(body.get("name"), str) else ""
    name = name.strip()
    try:
        reject_control_characters(name)
    except ValidationError:  # the same refusal as an empty name
        name = ""
    if not name or len(name) > 100:
        return _refused(_("Give the passkey a name of up to 100 characters."))
    first = not has_second_factor(request.user)
    try:
        register(request, request.user, _credential(body), name)
    except PasskeyRefused as error:
        record_event(EventType.PASSKEY_REFUSED, user=request.user, request=request, reason=str(error)[:80])
        return _refused(str(NOT_REGISTERED))
    if first:  # the first second factor: recovery codes, shown once
        return JsonResponse({"codes": recovery.new_recovery_codes(request.user)}, status=201)
    return JsonResponse({"redirect": reverse("accounts:two_factor")}, status=201)


@never_cache
@sensitive_post_parameters("password")
@require_POST
@login_required
def remove_view(request, passkey_id: int):
    """Removing a passkey needs the password; removing the last second factor also ends
    every other session, as removing the app does."""
    passkey = get_object_or_404(Passkey, pk=passkey_id, user=request.user)
    form = ConfirmPasswordForm(request, request.POST)
    if not form.is_valid():
        messages.error(request, _("Your current password was not entered correctly."))
        return redirect("accounts:two_factor")
    passkey.delete()
    ended = 0
    if not has_second_factor(request.user):
        RecoveryCode.objects.filter(user=request.user).delete()
        ended = end_user_sessions(request.user, EndReason.SIGNED_OUT_ELSEWHERE, except_sid=current_sid(request))
    record_event(
        EventType.SECOND_FACTOR_REMOVED, user=request.user, request=request, factor="passkey", sessions_ended=ended
    )
    messages.success(request, _("The passkey was removed."))
    return redirect("accounts:two_factor")


# --- Signing in with one --------------------------------------------------------------


@never_cache
@require_POST
def sign_in_options_view(request):
    return _options(authentication_options(request))


@never_cache
@require_POST
def sign_in_view(request):
    body = _body(request)
    try:
        used = authenticate(request, _credential(body))
    except PasskeyRefused as error:
        record_event(EventType.PASSKEY_REFUSED, request=request, reason=str(error)[:80])
        return _refused(str(NOT_ACCEPTED))
    user, target = used.passkey.user, _next(request, body)
    if MFA not in used.methods and TOTPAuthenticator.objects.filter(user=user, confirmed_at__isnull=False).exists():
        # Not verified by the authenticator: one factor; the app's code is the second.
        second_step.begin(request, user, used.methods, target)
        return JsonResponse({"redirect": reverse("accounts:second_factor")})
    sign_in(request, user, used.methods)
    return JsonResponse({"redirect": target})


def _expired() -> JsonResponse:
    return _refused(_("Please sign in again: the sign-in took too long."))


@never_cache
@require_POST
def second_factor_options_view(request):
    step = second_step.pending(request)
    return _options(authentication_options(request, step.user)) if step else _expired()


@never_cache
@require_POST
def second_factor_view(request):
    step = second_step.pending(request)
    if step is None:
        return _expired()
    try:
        used = authenticate(request, _credential(_body(request)), user=step.user)
    except PasskeyRefused as error:
        user_login_failed.send(sender=__name__, credentials={"email": step.user.email}, request=request)
        record_event(EventType.PASSKEY_REFUSED, user=step.user, request=request, reason=str(error)[:80])
        return _refused(str(NOT_ACCEPTED))
    second_step.finish(request, step, used.methods[0])
    return JsonResponse({"redirect": step.next_url or reverse("accounts:account")})
