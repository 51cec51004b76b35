"""Pages of the second factor: the step after the password (and the step-up a site asks
for), and setting up, renewing and removing factors on the account page. Thin: the
rules live in accounts.factors."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from accounts.audit import EventType, record_event
from accounts.factors import has_second_factor, recovery, second_step, totp
from accounts.factors.assurance import OTP
from accounts.forms import AuthenticatorSetupForm, ConfirmPasswordForm, SecondFactorForm
from accounts.lockout import lockout_response
from accounts.mail import Mail, issuer_url, notify
from accounts.models import Passkey, TOTPAuthenticator
from accounts.pages import safe_next
from accounts.sessions import EndReason, current_sid, end_user_sessions


@never_cache
@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def second_factor_view(request):
    step = second_step.pending(request)
    if step is None:
        messages.info(request, _("Please sign in again: the sign-in took too long."))
        return redirect("accounts:login")
    credentials = {"email": step.user.email}
    if not AxesProxyHandler.is_allowed(request, credentials):  # wrong codes count as wrong passwords do
        return lockout_response(request, credentials=credentials)
    form = SecondFactorForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"]
        if totp.verify_code(step.user, code):
            second_step.finish(request, step, OTP)
            return redirect(step.next_url or "accounts:account")
        if recovery.use_recovery_code(step.user, code):
            second_step.finish(request, step, OTP)
            left = recovery.unused_count(step.user)
            record_event(EventType.RECOVERY_CODE_USED, user=step.user, request=request, left=left)
            notify(Mail("recovery_code_used", step.user.email, {"left": left, "account": issuer_url("/account/")}))
            used = ngettext(
                "You used a recovery code; %(left)s is left.", "You used a recovery code; %(left)s are left.", left
            )
            messages.warning(request, used % {"left": left})
            return redirect(step.next_url or "accounts:account")
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        record_event(EventType.SECOND_FACTOR_FAILURE, user=step.user, request=request)
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request, credentials=credentials)
        form.add_error("code", _("This code is not correct, or was already used."))
    status = 400 if request.method == "POST" else 200
    has_passkey = Passkey.objects.filter(user=step.user).exists()
    return render(request, "accounts/second_factor.html", {"form": form, "has_passkey": has_passkey}, status=status)


@never_cache
@login_required
def two_factor_view(request):
    app = TOTPAuthenticator.objects.filter(user=request.user, confirmed_at__isnull=False).first()
    context = {
        "app": app,
        "passkeys": Passkey.objects.filter(user=request.user).order_by("created_at", "pk"),
        "any_factor": has_second_factor(request.user),
        "codes_left": recovery.unused_count(request.user),
        "next": safe_next(request),
    }
    return render(request, "accounts/two_factor.html", context)


@never_cache
@sensitive_post_parameters("password", "code")
@login_required
@require_http_methods(["GET", "POST"])
def authenticator_setup_view(request):
    if TOTPAuthenticator.objects.filter(user=request.user, confirmed_at__isnull=False).exists():
        return redirect("accounts:two_factor")
    device = totp.pending_authenticator(request.user)
    form = AuthenticatorSetupForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        first = not has_second_factor(request.user)
        if totp.verify_code(request.user, form.cleaned_data["code"], confirming=True):
            record_event(EventType.SECOND_FACTOR_ADDED, user=request.user, request=request, factor="totp")
            if not first:
                messages.success(request, _("The authenticator app is on."))
                return redirect(safe_next(request))
            codes = recovery.new_recovery_codes(request.user)  # the first second factor: codes, shown once
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": safe_next(request)})
        form.add_error("code", _("This code is not correct. Check the time on your phone and try the next one."))
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "qr": totp.qr_svg(device), "secret": device.secret, "next": safe_next(request)}
    return render(request, "accounts/authenticator_setup.html", context, status=status)


@never_cache
@sensitive_post_parameters("password")
@require_POST
@login_required
def recovery_codes_view(request):
    form = ConfirmPasswordForm(request, request.POST)
    if not has_second_factor(request.user) or not form.is_valid():
        messages.error(request, _("Your current password was not entered correctly."))
        return redirect("accounts:two_factor")
    codes = recovery.new_recovery_codes(request.user)
    record_event(EventType.RECOVERY_CODES_REGENERATED, user=request.user, request=request)
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:account")})


@never_cache
@sensitive_post_parameters("password")
@require_POST
@login_required
def authenticator_remove_view(request):
    """Removing the last second factor needs the password, and ends every other session:
    whoever set one up in a stolen session must not keep it."""
    form = ConfirmPasswordForm(request, request.POST)
    if not form.is_valid():
        messages.error(request, _("Your current password was not entered correctly."))
        return redirect("accounts:two_factor")
    TOTPAuthenticator.objects.filter(user=request.user).delete()
    if not has_second_factor(request.user):
        request.user.recovery_codes.all().delete()
    ended = end_user_sessions(request.user, EndReason.SIGNED_OUT_ELSEWHERE, except_sid=current_sid(request))
    record_event(EventType.SECOND_FACTOR_REMOVED, user=request.user, request=request, sessions_ended=ended)
    messages.success(request, _("The authenticator app was removed; your other sessions were signed out."))
    return redirect("accounts:two_factor")
