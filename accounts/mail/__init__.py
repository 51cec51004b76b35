"""The IdP's mail: composed from templates in the reader's language, plain text with an
HTML alternative, sent through Django's e-mail framework (``EMAIL_URL``) once the
transaction that the message is about has committed.

A message carries no personal data but the recipient's own address; links are
built on the issuer (``SSO["ISSUER"]``), never on the request's Host header, which
a client chooses (the "password reset poisoning" attack). Log lines name the kind
of message, never the address or the link.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from accounts.conf import sso_settings

logger = logging.getLogger("accounts.mail")

SUBJECTS = {
    "verify_email": _("Confirm your e-mail address"),
    "already_registered": _("Someone tried to create an account with your address"),
    "password_reset": _("Reset your password"),
    "password_reset_unknown": _("Password reset requested"),
    "password_changed": _("Your password was changed"),
    "email_change": _("Confirm your new e-mail address"),
    "email_change_taken": _("Someone tried to use your address for another account"),
    "email_changed": _("The e-mail address of your account was changed"),
    "recovery_code_used": _("A recovery code was used"),
    "account_erased": _("Your account was deleted"),
}


class MailNotSent(Exception):
    """The mail server refused the message or could not be reached."""


@dataclass(frozen=True)
class Mail:
    kind: str  # a key of SUBJECTS, and the name of templates/mail/<kind>.txt and .html
    to: str
    context: dict = field(default_factory=dict)


def issuer_url(path: str) -> str:
    return sso_settings().issuer + path


def compose(mail: Mail, language: str | None = None) -> EmailMultiAlternatives:
    with translation.override(language or translation.get_language()):
        context = {"brand_name": settings.SSO_BRAND_NAME, **mail.context}
        message = EmailMultiAlternatives(
            subject=f"{SUBJECTS[mail.kind]} · {settings.SSO_BRAND_NAME}",
            body=render_to_string(f"mail/{mail.kind}.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[mail.to],
        )
        message.attach_alternative(render_to_string(f"mail/{mail.kind}.html", context), "text/html")
    return message


def send(mail: Mail, language: str | None = None) -> None:
    """Send now, or raise MailNotSent. Callers send after their transaction has
    committed: the reader may follow the link at once, and must find what it names."""
    try:
        compose(mail, language).send()
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("mail %s not sent: %s", mail.kind, type(error).__name__)
        raise MailNotSent(mail.kind) from error
    logger.info("mail %s sent", mail.kind)


def notify(mail: Mail, language: str | None = None) -> bool:
    """A notice the user waits for nothing from (the change it reports is done):
    sent if the server takes it, else logged as not sent."""
    try:
        send(mail, language)
    except MailNotSent:
        return False
    return True
