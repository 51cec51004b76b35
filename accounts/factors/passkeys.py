"""Passkeys (WebAuthn, with py_webauthn): registered from the account page, used to sign
in without a password or as the second factor after one.

Everything a relying party must check (the challenge, the origin, the RP ID, the
signature, user presence and, where asked, verification, the signature counter)
is checked by the library; this module keeps the challenge (single use, bound to
the browser's session, two minutes) and the credentials. The RP ID is the
issuer's host name, so the browser tests and the demo reach the IdP as
``localhost`` (WebAuthn takes no IP address as an RP ID).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from accounts.audit import EventType, record_event
from accounts.conf import sso_settings
from accounts.models import Passkey, User

CHALLENGE_KEY = "webauthn_challenge"
CHALLENGE_SECONDS = 120
KEPT = 3  # challenges a session may have open at once
MAX_CREDENTIAL_BYTES = 16 * 1024  # a registration response is a few kilobytes


class PasskeyRefused(Exception):
    """The response is not a valid answer to this session's challenge (the reason is logged, not shown)."""


@dataclass(frozen=True)
class Used:
    passkey: Passkey
    user_verified: bool

    @property
    def methods(self) -> list[str]:
        """RFC 8176: the key (hardware-bound, or synced: software), and the user's presence;
        verified by the authenticator (a PIN, a fingerprint), the passkey is two factors."""
        key = "swk" if self.passkey.backed_up else "hwk"
        return [key, "user", "mfa"] if self.user_verified else [key, "user"]


def rp_id() -> str:
    return urlsplit(sso_settings().issuer).hostname or ""


def origin() -> str:
    parts = urlsplit(sso_settings().issuer)
    return f"{parts.scheme}://{parts.netloc}"


def _remember(request: HttpRequest, purpose: str, challenge: bytes, user: User | None) -> None:
    """Keep the challenge in the browser's session, with the two before it: the sign-in
    page may have an autofill ceremony open when the button starts another."""
    kept = [entry for entry in request.session.get(CHALLENGE_KEY, []) if isinstance(entry, dict)][-(KEPT - 1) :]
    kept.append(
        {
            "purpose": purpose,
            "challenge": bytes_to_base64url(challenge),
            "user": str(user.pk) if user else "",
            "at": time.time(),
        }
    )
    request.session[CHALLENGE_KEY] = kept


def _take(request: HttpRequest, purpose: str, parsed: dict) -> tuple[bytes, str]:
    """The session's challenge that ``parsed`` answers, removed: it answers once. (The
    library checks the response against it again, with the signature over it.)"""
    try:
        client_data = json.loads(webauthn.base64url_to_bytes(parsed["response"]["clientDataJSON"]))
        answered = client_data["challenge"]
    except (KeyError, TypeError, ValueError):
        raise PasskeyRefused("no client data") from None
    kept = [entry for entry in request.session.get(CHALLENGE_KEY, []) if isinstance(entry, dict)]
    match = next((e for e in kept if e.get("purpose") == purpose and e.get("challenge") == answered), None)
    if match is None:
        raise PasskeyRefused("not a challenge of this session for that")
    kept.remove(match)
    request.session[CHALLENGE_KEY] = kept
    if time.time() - match.get("at", 0) > CHALLENGE_SECONDS:
        raise PasskeyRefused("challenge expired")
    return webauthn.base64url_to_bytes(match["challenge"]), match.get("user", "")


def _descriptors(user: User) -> list[PublicKeyCredentialDescriptor]:
    return [
        PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(credential_id))
        for credential_id in Passkey.objects.filter(user=user).values_list("credential_id", flat=True)
    ]


def _parsed(credential: str) -> dict:
    if not isinstance(credential, str) or len(credential) > MAX_CREDENTIAL_BYTES:
        raise PasskeyRefused("response too large")
    try:
        parsed = json.loads(credential)
    except ValueError:
        raise PasskeyRefused("response is not JSON") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("id"), str):
        raise PasskeyRefused("response has no credential id")
    return parsed


def registration_options(request: HttpRequest, user: User) -> str:
    options = webauthn.generate_registration_options(
        rp_id=rp_id(),
        rp_name=settings.SSO_BRAND_NAME,
        user_id=user.pk.bytes,
        user_name=user.email,
        user_display_name=user.name or user.email,
        exclude_credentials=_descriptors(user),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
    )
    _remember(request, "register", options.challenge, user)
    return webauthn.options_to_json(options)


def register(request: HttpRequest, user: User, credential: str, name: str) -> Passkey:
    parsed = _parsed(credential)
    challenge, for_user = _take(request, "register", parsed)
    if for_user != str(user.pk):
        raise PasskeyRefused("challenge of another account")
    try:
        verified = webauthn.verify_registration_response(
            credential=parsed,
            expected_challenge=challenge,
            expected_rp_id=rp_id(),
            expected_origin=origin(),
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as error:
        raise PasskeyRefused(type(error).__name__) from None
    try:
        with transaction.atomic():
            passkey = Passkey.objects.create(
                user=user,
                credential_id=bytes_to_base64url(verified.credential_id),
                public_key=verified.credential_public_key,
                sign_count=verified.sign_count,
                backed_up=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
                name=name,
            )
            record_event(EventType.SECOND_FACTOR_ADDED, user=user, request=request, factor="passkey")
    except IntegrityError:
        raise PasskeyRefused("credential already registered") from None
    return passkey


def authentication_options(request: HttpRequest, user: User | None = None) -> str:
    """Options for a sign-in with any passkey of this site (``user`` None: the browser
    offers the discoverable ones), or with one of ``user``'s (the second factor)."""
    options = webauthn.generate_authentication_options(
        rp_id=rp_id(),
        allow_credentials=_descriptors(user) if user else None,
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(request, "authenticate", options.challenge, user)
    return webauthn.options_to_json(options)


def authenticate(request: HttpRequest, credential: str, user: User | None = None) -> Used:
    """The passkey that answered this session's challenge, its counter moved on; for the
    second factor, it must be ``user``'s (the one the challenge was made for)."""
    parsed = _parsed(credential)
    challenge, for_user = _take(request, "authenticate", parsed)
    with transaction.atomic():
        passkey = Passkey.objects.select_for_update().select_related("user").filter(credential_id=parsed["id"]).first()
        if passkey is None or not passkey.user.is_active:
            raise PasskeyRefused("unknown credential")
        if (user is not None or for_user) and str(passkey.user_id) != (str(user.pk) if user else for_user):
            raise PasskeyRefused("credential of another account")
        try:
            verified = webauthn.verify_authentication_response(
                credential=parsed,
                expected_challenge=challenge,
                expected_rp_id=rp_id(),
                expected_origin=origin(),
                credential_public_key=bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
            )
        except (WebAuthnException, ValueError, KeyError, TypeError) as error:
            if "sign count" in str(error).lower():
                verified = None  # a counter that went back: a cloned authenticator, or a replayed assertion
            else:
                raise PasskeyRefused(type(error).__name__) from None
        if verified is not None:
            passkey.sign_count, passkey.last_used_at = verified.new_sign_count, timezone.now()
            passkey.save(update_fields=["sign_count", "last_used_at"])
    if verified is None:
        record_event(EventType.PASSKEY_SIGN_COUNT_REGRESSED, user=passkey.user, request=request)
        raise PasskeyRefused("sign count went back")
    return Used(passkey, verified.user_verified)
