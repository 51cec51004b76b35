"""Pages that send mail or are reached from it: verification, password reset, and
changing the address or name. Thin: the rules live in accounts.verification,
password_reset, profile and mail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import EmailChangeForm, NameForm, NewPassword, PasswordResetRequestForm
from accounts.mail import MailNotSent
from accounts.mail.links import LinkExpired, LinkInvalid
from accounts.mail.throttle import mail_throttled
from accounts.pages import error_page, safe_next
from accounts.password_reset import request_reset, reset_password, reset_user
from accounts.profile import AddressTaken, change_name, confirm_email_change, request_email_change
from accounts.verification import send_verification, verify_email


def mail_not_sent(request):
    return error_page(
        request,
        _("We could not send the message"),
        _("Our mail server did not take the message, so nothing was changed. Please try again in a few minutes."),
        503,
    )


def too_much_mail(request):
    return error_page(
        request,
        _("Too many messages"),
        _("Too many messages were asked for, from your network or to this address. Please try again in an hour."),
        429,
    )


def mail_sent(request, title: str, message: str, email: str):
    return render(request, "accounts/mail_sent.html", {"title": title, "message": message, "email": email})


def link_refused(request, error: LinkInvalid):
    if isinstance(error, LinkExpired):
        return error_page(
            request,
            _("This link has expired"),
            _("Links in our messages work for a limited time. Ask for a new one."),
            400,
        )
    return error_page(
        request,
        _("This link is not valid"),
        _("It was already used, replaced by a newer one, or is incomplete. Ask for a new one if you still need it."),
        400,
    )


# --- Verifying the address ----------------------------------------------------------


@never_cache
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def verify_email_view(request, token: str):
    # GET asks, the POST verifies: a mail scanner that opens every link must not.
    if request.method == "GET":
        return render(request, "accounts/verify_email.html", {"token": token})
    try:
        verify_email(token, request)
    except LinkInvalid as error:
        return link_refused(request, error)
    if request.user.is_authenticated:
        messages.success(request, _("Your e-mail address is verified."))
        return redirect("accounts:account")
    return render(request, "accounts/verified.html")


@require_POST
@login_required
def resend_verification_view(request):
    target = safe_next(request)
    if request.user.email_verified:
        return redirect(target)
    if mail_throttled(request, request.user.email):
        return too_much_mail(request)
    try:
        send_verification(request.user)
    except MailNotSent:
        return mail_not_sent(request)
    return mail_sent(
        request,
        _("Check your inbox"),
        _("We sent a new link to confirm your address. Open it to continue."),
        request.user.email,
    )


# --- Forgotten password -------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_view(request):
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if mail_throttled(request, email):
            return too_much_mail(request)
        try:
            request_reset(request, email)
        except MailNotSent:
            return mail_not_sent(request)
        return mail_sent(
            request,
            _("Check your inbox"),
            _(
                "We sent a message to this address. If it has an account, the message holds a link to choose a new password."
            ),
            email,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_reset.html", {"form": form}, status=status)


@never_cache
@sensitive_variables("token")
@sensitive_post_parameters()
@require_http_methods(["GET", "POST"])
def password_reset_confirm_view(request, token: str):
    try:
        user = reset_user(token)
    except LinkInvalid as error:
        return link_refused(request, error)
    form = NewPassword(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reset_password(request, token, form.cleaned_data["new_password1"])
        except LinkInvalid as error:  # used by a request that held the account a moment before
            return link_refused(request, error)
        messages.success(
            request, _("Your password has been changed and every session signed out. Sign in with it now.")
        )
        return redirect("accounts:login")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/password_reset_confirm.html", {"form": form}, status=status)


# --- Address and name ---------------------------------------------------------------


@never_cache
@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def email_change_view(request):
    form = EmailChangeForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if mail_throttled(request, email):
            return too_much_mail(request)
        try:
            request_email_change(request, request.user, email)
        except MailNotSent:
            return mail_not_sent(request)
        return mail_sent(
            request,
            _("Check your inbox"),
            _("We sent a link to your new address. Your address changes once you open it."),
            email,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/email_change.html", {"form": form}, status=status)


@never_cache
@sensitive_variables("token")
@require_http_methods(["GET", "POST"])
def email_change_confirm_view(request, token: str):
    if request.method == "GET":
        return render(request, "accounts/email_change_confirm.html", {"token": token})
    try:
        confirm_email_change(request, token)
    except LinkInvalid as error:
        return link_refused(request, error)
    except AddressTaken:
        return error_page(
            request, _("This address is already in use"), _("Another account uses this address now."), 409
        )
    if request.user.is_authenticated:
        messages.success(request, _("Your e-mail address has been changed."))
        return redirect("accounts:account")
    return render(request, "accounts/verified.html", {"changed": True})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def name_change_view(request):
    form = NameForm(request.POST or None, initial={"name": request.user.name})
    if request.method == "POST" and form.is_valid():
        change_name(request, request.user, form.cleaned_data["name"])
        messages.success(request, _("Your name has been saved."))
        return redirect("accounts:account")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/name_change.html", {"form": form}, status=status)
