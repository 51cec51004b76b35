"""Pages of the partner site. Sign-in and sign-out go through the IdP."""

from __future__ import annotations

import logging
import time

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from marketplace_demo import oidc
from marketplace_demo.backchannel import process_logout_token
from marketplace_demo.models import Installation, Item
from marketplace_demo.partner_auth.verify import InvalidToken
from marketplace_demo.security_events import RefusedEvent, process_security_event
from ui.theme import theme_css as theme

logger = logging.getLogger("marketplace_demo")
NEXT_KEY = "partner_next"
PENDING_INSTALL_KEY = "partner_pending_install"
NO_RETURN_PATHS = ("/signed-out/", "/logout/", "/oidc/")


def partner_context(request):
    return {"partner": settings.PARTNER, "partner_user": getattr(request, "partner_user", None)}


def _items():
    return Item.objects.filter(catalogue=settings.PARTNER["CATALOGUE"])


def _message(request, title: str, message: str, status: int = 200):
    return render(request, "marketplace/message.html", {"title": title, "message": message}, status=status)


@require_GET
def theme_css(request):
    return theme(settings.PARTNER["COLOR"])  # the site's own colour, so a user can tell where they are


@require_GET
def catalogue(request):
    return render(request, "marketplace/catalogue.html", {"items": _items()})


@require_GET
def item_detail(request, slug: str):
    item = get_object_or_404(_items(), slug=slug)
    installed = (
        bool(request.partner_user) and Installation.objects.filter(sub=request.partner_user["sub"], item=item).exists()
    )
    return render(request, "marketplace/item.html", {"item": item, "installed": installed})


@require_POST
def install(request, slug: str):
    item = get_object_or_404(_items(), slug=slug)
    if not request.partner_user:
        # Resumed after sign-in (callback): the user asked for it with this (CSRF-checked) POST.
        request.session[PENDING_INSTALL_KEY] = item.slug
        return redirect(f"{reverse('login')}?next={reverse('item', args=[item.slug])}")
    return _install(request, item)


def _install(request, item: Item):
    Installation.objects.get_or_create(sub=request.partner_user["sub"], item=item)
    messages.success(request, f"{item.title} added.")
    return redirect("mine")


@never_cache
@require_GET
def mine(request):
    if not request.partner_user:
        return redirect("/login/?next=/mine/")
    token = oidc.access_token(request)  # refreshed quietly; None if the IdP refused
    if token is None:
        return _message(request, _("You were signed out"), _("Your sign-in has ended. Sign in again to continue."))
    profile = None
    try:
        response = requests.get(
            f"{settings.PARTNER['ISSUER']}/api/v1/me", timeout=5, headers={"Authorization": f"Bearer {token}"}
        )
        if response.status_code == 401:
            oidc.sign_out_locally(request)
            return _message(request, _("You were signed out"), _("Your sign-in has ended. Sign in again to continue."))
        if response.ok:
            profile = response.json()
    except requests.RequestException:
        logger.info("identity provider API unreachable; showing the page without the profile")
    installs = Installation.objects.filter(sub=request.partner_user["sub"]).select_related("item")
    return render(request, "marketplace/mine.html", {"installations": installs, "profile": profile})


MFA_ACR = "urn:privacy-sso:acr:mfa"  # the IdP's multi-factor class (its acr_values_supported)
FRESH_SECONDS = 300
STEP_UP_KEY = "partner_step_up"


@never_cache
@require_GET
def security(request):
    """A page that demands a second factor proved within five minutes: the IdP is asked for
    it with acr_values and max_age (OIDC Core 3.1.2.1), and the ID token's acr and
    auth_time say whether it was given."""
    user = request.partner_user
    fresh = bool(user) and user.get("acr") == MFA_ACR and time.time() - user.get("auth_time", 0) <= FRESH_SECONDS
    if not fresh:
        if request.session.pop(STEP_UP_KEY, False) and user:  # asked already, and the IdP could not
            return render(request, "marketplace/security.html", {"needs_factor": True}, status=403)
        return redirect("/login/?next=/security/&step_up=1")
    return render(request, "marketplace/security.html", {"signed_in_with": user})


@never_cache
@require_GET
def login(request):
    target = request.GET.get("next", "/")
    step_up = {}
    if request.GET.get("step_up") == "1":
        request.session[STEP_UP_KEY] = True
        step_up = {"acr_values": MFA_ACR, "max_age": str(FRESH_SECONDS)}
    if not url_has_allowed_host_and_scheme(target, allowed_hosts=None) or not target.startswith("/"):
        target = "/"  # same-site paths only
    if target.startswith(NO_RETURN_PATHS):
        target = "/"  # signing in from the signed-out page leads into the site, not back to "signed out"
    request.session[NEXT_KEY] = target
    try:
        # OIDC Core 3.1.2.1: the IdP's pages in the language the user reads this site in.
        return oidc.idp.authorize_redirect(
            request, f"{settings.PARTNER['BASE_URL']}/oidc/callback/", ui_locales=get_language(), **step_up
        )
    except (requests.RequestException, ValueError, KeyError):
        return _message(
            request,
            _("Sign-in is unavailable"),
            _("The sign-in service cannot be reached. Try again in a moment."),
            502,
        )


@never_cache
@require_GET
def callback(request):
    pending = request.session.pop(PENDING_INSTALL_KEY, None)  # one attempt: a failed sign-in drops it
    try:
        token = oidc.idp.authorize_access_token(request)
        oidc.sign_in(request, token)
    except OAuthError as error:
        if error.error == "access_denied":
            return _message(
                request, _("Sign-in cancelled"), _("You chose not to continue. You are not signed in."), 400
            )
        if isinstance(error, MismatchingStateError):
            return _message(request, _("This sign-in link has expired"), _("Start again from the Sign in button."), 400)
        return _message(
            request, _("Sign-in failed"), _("The sign-in could not be completed. You are not signed in."), 400
        )
    except (requests.RequestException, oidc.SignInFailed, ValueError, KeyError) as error:
        logger.info("sign-in failed: %s", type(error).__name__)
        return _message(
            request,
            "Sign-in failed",
            "The sign-in service could not be reached or answered wrongly. You are not signed in.",
            502,
        )
    target = request.session.pop(NEXT_KEY, "/")
    item = _items().filter(slug=pending).first() if pending else None
    if item is None:
        return redirect(target)
    request.partner_user = oidc.current_user(request)
    return _install(request, item)  # the action that needed the sign-in, resumed


@require_POST
def logout(request):
    hint = oidc.id_token_hint(request)
    oidc.sign_out_locally(request)
    if not hint:
        return redirect("signed_out")
    try:
        target = oidc.idp.create_logout_url(
            post_logout_redirect_uri=f"{settings.PARTNER['BASE_URL']}/signed-out/", id_token_hint=hint
        )["url"]
    except (requests.RequestException, RuntimeError, KeyError):
        return redirect("signed_out")
    return redirect(target)


@require_GET
def signed_out(request):
    return _message(
        request, _("You are signed out"), _("You are signed out of this site and of the identity provider.")
    )


@csrf_exempt
@require_POST
def backchannel_logout(request):
    """OpenID Connect Back-Channel Logout 1.0 section 2.8: 200 on success, 400 with an error otherwise."""
    try:
        process_logout_token(request.POST.get("logout_token", ""))
    except InvalidToken as error:
        response = JsonResponse({"error": "invalid_request", "error_description": str(error)}, status=400)
    else:
        response = HttpResponse(status=200)
    response["Cache-Control"] = "no-store"
    return response


MAX_SET_BYTES = 16 * 1024


@csrf_exempt
@require_POST
def security_events(request):
    """RFC 8935 section 2: a SET as the body; 202 when accepted, 400 with ``err`` otherwise."""
    content_type = request.content_type.lower()
    if content_type != "application/secevent+jwt":
        error = RefusedEvent("invalid_request", "the body must be application/secevent+jwt")
    elif len(request.body) > MAX_SET_BYTES:
        error = RefusedEvent("invalid_request", "the security event token is too large")
    else:
        try:
            process_security_event(request.body.decode("ascii"))
        except UnicodeDecodeError:
            error = RefusedEvent("invalid_request", "malformed token")
        except RefusedEvent as refused:
            error = refused
        else:
            error = None
    if error is None:
        response = HttpResponse(status=202)
    else:
        response = JsonResponse({"err": error.err, "description": error.description}, status=400)
    response["Cache-Control"] = "no-store"
    return response


def bad_request(request, exception=None):
    return _message(request, _("Bad request"), _("The request could not be understood."), 400)


def page_not_found(request, exception=None):
    return _message(request, _("Page not found"), _("There is no page at this address."), 404)


def server_error(request):
    return render(
        request,
        "marketplace/message.html",
        {"title": _("Something went wrong"), "message": _("Please try again in a moment.")},
        status=500,
    )
