"""IdP pages: thin views over the services in accounts.sign_in, sessions and registration."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.conf import sso_settings
from accounts.factors import has_second_factor, second_step
from accounts.forms import INVALID_LOGIN, LoginForm, PasswordChange, RegistrationForm
from accounts.mail import MailNotSent
from accounts.mail.throttle import mail_throttled
from accounts.mail_views import mail_not_sent, too_much_mail
from accounts.models import Consent, SessionSite, SSOSession
from accounts.oauth.authorize import withdraw_consent
from accounts.oauth.errors import clear_site_data
from accounts.oauth.registry import active_site
from accounts.pages import error_page, safe_next
from accounts.registration import register, registration_throttled
from accounts.sessions import EndReason, changing_credentials, current_sid, end_sso_session, end_user_sessions
from accounts.sign_in import PASSWORD, sign_in, sign_out
from ui.theme import theme_css


def admin_login(request):
    """The console signs in where everyone does (sessions, lock-out, audit), then goes back."""
    target = safe_next(request) if request.GET.get("next") else reverse("admin:index")
    return redirect(reverse("accounts:login") + "?" + urlencode({"next": target}))


@require_GET
def theme(request):
    return theme_css(settings.SSO_BRAND_COLOR)


def home(request):
    return render(request, "accounts/home.html")


@never_cache
@sensitive_post_parameters("password")
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "GET" and request.user.is_authenticated and "switch" not in request.GET:
        return _already_signed_in(request, "accounts/login.html")
    if request.method == "POST":
        if form.is_valid():
            user = authenticate(request, email=form.cleaned_data["email"], password=form.cleaned_data["password"])
            if user is not None:
                if has_second_factor(user):  # signed in only once the second factor is proved too
                    second_step.begin(request, user, [PASSWORD], safe_next(request))
                    return redirect("accounts:second_factor")
                sign_in(request, user, [PASSWORD])
                return redirect(safe_next(request))
            form.add_error(None, INVALID_LOGIN)
        status = 400
    return render(request, "accounts/login.html", {"form": form, **_way_back(request)}, status=status)


def _already_signed_in(request, template: str):
    """A signed-in user who opens the sign-in or registration page is told so, and may
    continue or use another account (signing in as that one signs this one out here)."""
    return render(request, template, {"signed_in_as": request.user, **_way_back(request)})


def _way_back(request) -> dict:
    """Where the user came from and returns to, kept across every step of signing in
    or registering (a wrong password, the switch to "Create one")."""
    next_url = safe_next(request)
    site = active_site(request.POST.get("client_id") or request.GET.get("client_id"))
    query = {"next": next_url, **({"client_id": site.client_id} if site else {})}
    return {"next": next_url, "site": site, "way_back": urlencode(query)}


@never_cache
@sensitive_post_parameters("password", "password_confirm")
@require_http_methods(["GET", "POST"])
def register_view(request):
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "GET" and request.user.is_authenticated and "switch" not in request.GET:
        return _already_signed_in(request, "accounts/register.html")
    if request.method == "POST":
        if registration_throttled(request):
            return error_page(
                request,
                _("Too many registrations"),
                _("Too many accounts were requested from your network. Please try again in an hour."),
                429,
            )
        if form.is_valid():
            data = form.cleaned_data
            if mail_throttled(request, data["email"]):
                return too_much_mail(request)
            try:
                register(request, email=data["email"], password=data["password"], name=data["name"])
            except MailNotSent:
                return mail_not_sent(request)
            # The same page whether the address was new or taken (its owner got a message).
            return render(request, "accounts/check_inbox.html", {"email": data["email"], **_way_back(request)})
        status = 400
    return render(request, "accounts/register.html", {"form": form, **_way_back(request)}, status=status)


@require_http_methods(["GET", "POST"])
def logout_view(request):
    # GET shows a confirmation; only a POST (with CSRF token) signs out, so a
    # third-party page cannot sign the user out with an <img> tag.
    if request.method == "POST":
        sign_out(request)
        return clear_site_data(render(request, "accounts/logged_out.html"))
    if not request.user.is_authenticated:
        return render(request, "accounts/logged_out.html", {"already": True})
    return render(request, "accounts/logout_confirm.html")


@never_cache
@login_required
def account_view(request):
    sessions = (
        SSOSession.objects.active()
        .filter(user=request.user)
        .prefetch_related(
            Prefetch("site_links", queryset=SessionSite.objects.select_related("site").order_by("site__name"))
        )
        .order_by("-started_at", "-pk")  # a stable order: using a session does not move it
    )
    consents = Consent.objects.filter(user=request.user).select_related("site").order_by("site__name", "pk")
    described = sso_settings().scopes
    return render(
        request,
        "accounts/account.html",
        {
            "sessions": sessions,
            "current_sid": current_sid(request),
            # The consented scopes in the consent page's own words.
            "consents": [(consent, [described.get(scope, scope) for scope in consent.scopes]) for consent in consents],
        },
    )


@require_POST
@login_required
def withdraw_consent_view(request, consent_id: int):
    consent = get_object_or_404(Consent, pk=consent_id, user=request.user)
    withdraw_consent(consent, request=request)
    messages.success(request, _("%(site)s will ask again before you can continue to it.") % {"site": consent.site.name})
    return redirect("accounts:account")


@require_POST
@login_required
def end_session_view(request, session_id: int):
    sso_session = get_object_or_404(SSOSession.objects.active(), pk=session_id, user=request.user)
    is_current = sso_session.sid == current_sid(request)
    end_sso_session(sso_session, EndReason.LOGOUT if is_current else EndReason.SIGNED_OUT_ELSEWHERE, request=request)
    if is_current:
        sign_out(request)
        return clear_site_data(render(request, "accounts/logged_out.html"))
    messages.success(request, _("That session has been signed out."))
    return redirect("accounts:account")


@login_required
@require_http_methods(["GET", "POST"])
def end_all_sessions_view(request):
    """GET asks; the POST signs out everywhere and sends the browser on to a page it
    may reload (no form re-submitted)."""
    if request.method == "GET":
        return render(
            request,
            "accounts/end_all_confirm.html",
            {"count": SSOSession.objects.active().filter(user=request.user).count()},
        )
    end_user_sessions(request.user, EndReason.SIGNED_OUT_EVERYWHERE, request=request)
    sign_out(request)
    return clear_site_data(redirect(reverse("accounts:signed_out") + "?everywhere=1"))


@require_GET
def signed_out_view(request):
    return render(request, "accounts/logged_out.html", {"everywhere": request.GET.get("everywhere") == "1"})


@never_cache
@sensitive_post_parameters()
@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request):
    form = PasswordChange(request.user, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            # A new password ends every other session (accounts.signals): whoever
            # knew the old one is signed out everywhere else; this one stays.
            with changing_credentials(request):
                user = form.save()
            update_session_auth_hash(request, user)
            messages.success(request, _("Your password has been changed; your other sessions were signed out."))
            return redirect("accounts:account")
        status = 400
    return render(request, "accounts/password_change.html", {"form": form}, status=status)


def csrf_failure(request, reason=""):
    return error_page(
        request,
        _("This form has expired"),
        _("The page was open too long or cookies are blocked. Go back, reload the page and try again."),
        403,
    )


def bad_request(request, exception=None):
    return error_page(request, _("Bad request"), _("The request could not be understood."), 400)


def permission_denied(request, exception=None):
    return error_page(request, _("Not allowed"), _("You may not do that."), 403)


def page_not_found(request, exception=None):
    return error_page(request, _("Page not found"), _("There is no page at this address."), 404)


def server_error(request):
    return error_page(request, _("Something went wrong"), _("Please try again in a moment."), 500)
