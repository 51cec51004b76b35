"""HTTP adapters for the OIDC pages and endpoints; decisions live in the sibling modules.
The token, revocation and introspection endpoints are DRF views (``token_endpoint``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from accounts.conf import sso_settings
from accounts.factors import has_second_factor, second_step
from accounts.oauth.access import InvalidAccessToken, bearer_token, verify_access_token
from accounts.oauth.authorize import (
    AuthorizationPageError,
    AuthorizationRedirectError,
    AuthorizationRequest,
    grant_consent,
    issue_code_if_consented,
    needs_login,
    needs_second_factor,
    unmet_essential_acr,
)
from accounts.oauth.claims import identity_claims
from accounts.oauth.discovery import provider_metadata
from accounts.oauth.end_session import EndSessionError, EndSessionRequest
from accounts.oauth.errors import clear_site_data, no_store
from accounts.oauth.keyring import signing_keyring
from accounts.pages import error_page
from accounts.sessions import active_sso_session
from accounts.sign_in import sign_out


# GET and HEAD (RFC 9110 section 9.3.2): caches and health checks ask with HEAD.
@require_safe
def openid_configuration(request) -> JsonResponse:
    response = JsonResponse(provider_metadata())
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_safe
def jwks(request) -> JsonResponse:
    response = JsonResponse(signing_keyring().jwks())
    # Short enough that a new key is picked up well before it signs anything
    # the partner has not seen (retired keys stay published for days).
    response["Cache-Control"] = "public, max-age=300"
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def authorize(request) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    try:
        areq = AuthorizationRequest.parse(params)
    except AuthorizationPageError as error:
        return error_page(request, _("This sign-in link is not valid"), str(error), 400)
    except AuthorizationRedirectError as error:
        return redirect(error.url)
    language = areq.language()
    if language is None:
        return _authorize(request, areq)
    # ui_locales: this page, and those that follow (sign-in, consent), in that language.
    translation.activate(language)
    request.LANGUAGE_CODE = language
    response = _authorize(request, areq)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def _authorize(request, areq: AuthorizationRequest) -> HttpResponse:
    sso_session = active_sso_session(request)
    if needs_login(areq, sso_session):
        if "none" in areq.prompt:
            return redirect(
                areq.redirect_with({"error": "login_required", "error_description": "The user is not signed in."})
            )
        # A signed-in user sent back to sign in (prompt=login, max_age) gets the form itself.
        return redirect(_login_then_back(areq, switch=sso_session is not None))
    if "select_account" in areq.prompt and request.method == "GET":
        # OIDC Core 3.1.2.1: the signed-in account, to continue with or to change.
        return render(
            request,
            "accounts/select_account.html",
            {
                "site": areq.site,
                "account": sso_session.user,
                "switch_url": _login_then_back(areq, switch=True),
                "continue_url": reverse("oauth:authorize") + "?" + urlencode(areq.as_params(account_chosen=True)),
            },
        )

    if needs_second_factor(areq, sso_session):
        back = reverse("oauth:authorize") + "?" + urlencode(areq.as_params(account_chosen=True))
        if has_second_factor(sso_session.user):
            if "none" in areq.prompt:
                return redirect(
                    areq.redirect_with(
                        {"error": "interaction_required", "error_description": "A second factor is needed."}
                    )
                )
            # Step-up: the session's sign-in, with the second factor on top of it.
            second_step.begin(request, sso_session.user, sso_session.auth_methods.split(), back)
            return redirect("accounts:second_factor")
        if areq.site.require_mfa:
            if "none" in areq.prompt:
                return redirect(
                    areq.redirect_with(
                        {"error": "interaction_required", "error_description": "The user has no second factor yet."}
                    )
                )
            setup = reverse("accounts:authenticator_setup") + "?" + urlencode({"next": back})
            return render(request, "accounts/mfa_required.html", {"site": areq.site, "setup": setup}, status=403)
        # acr_values is a wish (OIDC Core 3.1.2.1): without a second factor the sign-in is
        # what it is, and the ID token's acr says so.
    if unmet_essential_acr(areq, sso_session):
        return redirect(
            areq.redirect_with(
                {
                    "error": "unmet_authentication_requirements",
                    "error_description": "The essential acr cannot be met for this user.",
                }
            )
        )

    if areq.site.require_verified_email and not sso_session.user.email_verified:
        if "none" in areq.prompt:
            return redirect(
                areq.redirect_with(
                    {"error": "interaction_required", "error_description": "The user has to verify an address first."}
                )
            )
        back = reverse("oauth:authorize") + "?" + urlencode(areq.as_params(account_chosen=True))
        return render(request, "accounts/verify_first.html", {"site": areq.site, "next": back}, status=403)

    if request.method == "POST":  # the consent form
        if request.POST.get("decision") == "allow":
            grant_consent(areq, sso_session, request)
            with_code = issue_code_if_consented(areq, sso_session, just_allowed=True)
            # None only if the consent was withdrawn in the same instant, elsewhere.
            return redirect(
                with_code or areq.redirect_with({"error": "access_denied", "error_description": "The user declined."})
            )
        return redirect(areq.redirect_with({"error": "access_denied", "error_description": "The user declined."}))

    with_code = issue_code_if_consented(areq, sso_session)
    if with_code is not None:
        return redirect(with_code)
    if "none" in areq.prompt:
        return redirect(
            areq.redirect_with(
                {"error": "consent_required", "error_description": "The user has not allowed this site yet."}
            )
        )
    scopes = [(scope, sso_settings().scopes[scope]) for scope in areq.scopes]
    return render(
        request,
        "accounts/consent.html",
        {
            "site": areq.site,
            "scopes": scopes,
            "params": areq.as_params(authenticated=True),
        },
    )


def _login_then_back(areq: AuthorizationRequest, switch: bool = False) -> str:
    back = reverse("oauth:authorize") + "?" + urlencode(areq.as_params(authenticated=True))
    query = {REDIRECT_FIELD_NAME: back, "client_id": areq.site.client_id, **({"switch": "1"} if switch else {})}
    return reverse("accounts:login") + "?" + urlencode(query)


@never_cache
@require_http_methods(["GET", "POST"])
def end_session(request) -> HttpResponse:
    """RP-Initiated Logout 1.0. Without a matching id_token_hint the user confirms
    with a CSRF-protected POST, so no third party can sign anyone out."""
    params = request.POST if request.method == "POST" else request.GET
    try:
        logout_request = EndSessionRequest.parse(params)
    except EndSessionError as error:
        return error_page(request, _("This sign-out link is not valid"), str(error), 400)
    sso_session = active_sso_session(request)
    if sso_session is not None and not logout_request.confirmed_for(sso_session, posted=request.method == "POST"):
        return render(
            request,
            "accounts/logout_confirm.html",
            {
                "action": reverse("oauth:end_session"),
                "params": logout_request.as_params(),
                "site": logout_request.site,
            },
        )
    if sso_session is not None:
        sign_out(request)  # ends the SSO session: refresh tokens, deny-list, back-channel logouts
    if logout_request.redirect_uri:
        response = redirect(logout_request.redirect_target())
    else:
        response = render(request, "accounts/logged_out.html")
    return clear_site_data(response)


def _bearer_error(error: str, description: str, status: int) -> JsonResponse:
    response = no_store(JsonResponse({"error": error, "error_description": description}, status=status))
    response["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    return response


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request) -> JsonResponse:
    """OIDC Core 5.3: claims of the token's user, limited to the token's scopes."""
    raw = bearer_token(request.META.get("HTTP_AUTHORIZATION", ""))
    if raw is None:
        response = no_store(
            JsonResponse(
                {"error": "invalid_request", "error_description": "A Bearer access token is required."}, status=401
            )
        )
        response["WWW-Authenticate"] = 'Bearer realm="sso"'
        return response
    try:
        access = verify_access_token(raw)
    except InvalidAccessToken as error:
        return _bearer_error("invalid_token", str(error), 401)
    if "openid" not in access.scopes:
        return _bearer_error("insufficient_scope", "The token was not issued for the openid scope.", 403)
    claims = {"sub": access.token["sub"], **identity_claims(access.sso_session.user, access.scopes)}
    return no_store(JsonResponse(claims))
