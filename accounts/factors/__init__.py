"""Second factors (an authenticator app, passkeys, recovery codes) and what a sign-in proved.

A user with a confirmed factor is asked for it after the password
(``accounts.factors.second_step``); the methods proved go to ``sign_in`` and from
there into the SSO session, whose ``amr`` and ``acr`` every ID token carries
(``accounts.factors.assurance``).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from accounts.models import Passkey, TOTPAuthenticator, User


def has_second_factor(user: User) -> bool:
    """One query at every password sign-in: a confirmed app or any passkey."""
    return User.objects.filter(
        Exists(TOTPAuthenticator.objects.filter(user=OuterRef("pk"), confirmed_at__isnull=False))
        | Exists(Passkey.objects.filter(user=OuterRef("pk"))),
        pk=user.pk,
    ).exists()
