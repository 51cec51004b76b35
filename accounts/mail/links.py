"""Mailed links that need no table: signed (``django.core.signing``, under SECRET_KEY)
and timestamped, and bound to a fingerprint of the account's state that using the
link changes, so a link works once (as Django's PasswordResetTokenGenerator does).

A verification link fingerprints the address and whether it is verified; a reset
link the password hash, the last sign-in and the address: resetting, signing in,
or changing the password or the address by any path retires every earlier link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import User

MAX_TOKEN_LENGTH = 300  # what make_token produces is about 120 characters


class LinkInvalid(Exception):
    """Not a link we made, for another purpose, or already used."""


class LinkExpired(LinkInvalid):
    pass


@dataclass(frozen=True)
class LinkPurpose:
    name: str
    lifetime: Callable[[], timedelta]
    state: Callable[[User], str]

    def make_token(self, user: User) -> str:
        return signing.dumps({"u": str(user.pk), "f": self._fingerprint(user)}, salt=self._salt)

    def user_for(self, token: str, users: QuerySet | None = None) -> User:
        """The account the link is for, read through ``users`` (``select_for_update()``
        to hold it while the link is used); LinkExpired or LinkInvalid otherwise."""
        if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
            raise LinkInvalid(self.name)
        try:
            payload = signing.loads(token, salt=self._salt, max_age=self.lifetime())
        except signing.SignatureExpired:
            raise LinkExpired(self.name) from None
        except (signing.BadSignature, ValueError):
            raise LinkInvalid(self.name) from None
        if not isinstance(payload, dict) or not isinstance(payload.get("u"), str):
            raise LinkInvalid(self.name)
        try:
            user = (users if users is not None else User.objects).get(pk=payload["u"], is_active=True)
        except (User.DoesNotExist, ValidationError):  # our own payload names a well-formed id, but deleted
            raise LinkInvalid(self.name) from None
        if not constant_time_compare(str(payload.get("f", "")), self._fingerprint(user)):
            raise LinkInvalid(self.name)
        return user

    @property
    def _salt(self) -> str:
        return f"accounts.mail.links.{self.name}"

    def _fingerprint(self, user: User) -> str:
        return salted_hmac(self._salt, f"{user.pk}\x00{self.state(user)}", algorithm="sha256").hexdigest()[:32]


VERIFY_EMAIL = LinkPurpose(
    "verify",
    lambda: timedelta(hours=settings.EMAIL_VERIFICATION_HOURS),
    lambda user: f"{user.email_index}\x00{user.email_verified_at}",
)
RESET_PASSWORD = LinkPurpose(
    "reset",
    lambda: timedelta(minutes=settings.PASSWORD_RESET_MINUTES),
    lambda user: f"{user.password}\x00{user.last_login}\x00{user.email_index}",
)
