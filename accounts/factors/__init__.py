"""Second factors (an authenticator app, passkeys, recovery codes) and what a sign-in proved.

A user with a confirmed factor is asked for it after the password
(``accounts.factors.second_step``); the methods proved go to ``sign_in`` and from
there into the SSO session, whose ``amr`` and ``acr`` every ID token carries
(``accounts.factors.assurance``).
"""

from __future__ import annotations

from accounts.models import Passkey, TOTPAuthenticator, User


def has_second_factor(user: User) -> bool:
    return (
        TOTPAuthenticator.objects.filter(user=user, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(user=user).exists()
    )
