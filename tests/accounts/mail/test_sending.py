"""The mail path: EMAIL_URL, messages in the reader's language as text and HTML through
a real SMTP server, a readable page when the server is down, no token in a log line."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.mail import Mail, MailNotSent, compose, send
from accounts.mail.redaction import RedactLinkTokens, redact
from accounts.models import AuditEvent, EmailChange, User
from sso_project.env import ConfigError, email_from_url
from tests.support.oauth import REGISTRATION

pytestmark = pytest.mark.django_db
REGISTER, FORGOT = reverse("accounts:register"), reverse("accounts:password_reset")
GOOD = REGISTRATION


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "smtp://mailer:p%40ss@mail.example.com:587?tls=1",
            {"EMAIL_HOST": "mail.example.com", "EMAIL_PORT": 587, "EMAIL_HOST_USER": "mailer"},
        ),
        ("smtps://mail.example.com", {"EMAIL_PORT": 465, "EMAIL_USE_SSL": True, "EMAIL_USE_TLS": False}),
        ("smtp://127.0.0.1:2525?timeout=3", {"EMAIL_PORT": 2525, "EMAIL_TIMEOUT": 3.0, "EMAIL_USE_TLS": False}),
    ],
)
def test_email_url_becomes_djangos_settings(url, expected):
    parsed = email_from_url(url)
    assert parsed["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert {key: parsed[key] for key in expected} == expected
    if "p%40ss" in url:
        assert parsed["EMAIL_HOST_PASSWORD"] == "p@ss"


@pytest.mark.parametrize(
    "url, says",
    [
        ("http://mail.example.com", "scheme 'http'"),
        ("smtp://", "host"),
        ("smtp://mail.example.com?tls=1&ssl=1", "not both"),
        ("smtp://mail.example.com?starttls=1", "'starttls'"),
        ("smtp://mail.example.com?timeout=0", "timeout"),
        ("smtp://mail.example.com:port", "port"),
    ],
)
def test_a_malformed_email_url_is_one_clear_line(url, says):
    with pytest.raises(ConfigError, match=says):
        email_from_url(url)


def test_a_message_is_text_and_html_in_the_readers_language_and_names_only_the_recipient(mailbox):
    link = "https://id.example.com/link/verify/abc/"
    send(Mail("verify_email", "grace@example.org", {"link": link, "hours": 24}), "de")
    (received,) = mailbox.messages
    assert received.recipients == ["grace@example.org"]
    assert received.message.get_content_type() == "multipart/alternative"
    assert "Bestätigen Sie Ihre E-Mail-Adresse" in received.subject
    assert link in received.text and f'href="{link}"' in received.html
    assert "24 Stunden" in received.text
    with translation.override("es"):
        assert (
            "Confirme su dirección de correo"
            in compose(Mail("verify_email", "a@b.org", {"link": link, "hours": 1})).subject
        )


def test_text_mail_is_not_html_escaped():
    text = compose(Mail("password_reset", "a@b.org", {"link": "https://x.example/link/reset/a&b/", "minutes": 30})).body
    assert "https://x.example/link/reset/a&b/" in text and "&amp;" not in text


def test_links_are_built_on_the_issuer_not_on_the_host_the_client_named(client, user, mailbox, settings):
    """The attack ("password reset poisoning"): a forged Host header would put the attacker's
    host into the link mailed to the victim, and the victim's click would hand over the token."""
    settings.ALLOWED_HOSTS = ["*"]
    client.post(FORGOT, {"email": user.email}, HTTP_HOST="evil.example")
    (received,) = mailbox.messages
    assert all(link.startswith(settings.SSO["ISSUER"] + "/") for link in received.links), received.links
    assert "evil.example" not in received.text + received.html


def test_with_the_mail_server_down_registration_says_so_and_keeps_nothing(smtp_server_factory):
    server = smtp_server_factory()
    server.stop()
    response = Client().post(REGISTER, GOOD)
    assert response.status_code == 503
    assert "We could not send the message" in response.content.decode()
    assert not User.objects.exists()  # the address is free for the next try
    assert AuditEvent.objects.filter(event_type="mail_not_sent").count() == 1

    server.start()
    again = Client().post(REGISTER, GOOD)
    assert again.status_code == 200 and User.objects.count() == 1
    assert len(server.mailbox.to("grace@example.org")) == 1


def test_with_the_mail_server_down_a_reset_request_and_an_address_change_say_so(
    smtp_server_factory, browser, user, password
):
    server = smtp_server_factory()
    server.stop()
    for page, data in ((FORGOT, {"email": user.email}), (FORGOT, {"email": "nobody@example.org"})):
        response = Client().post(page, data)
        assert response.status_code == 503 and "try again" in response.content.decode()
    changed = browser.post(reverse("accounts:email_change"), {"email": "new@example.org", "password": password})
    assert changed.status_code == 503 and "try again" in changed.content.decode()
    assert not EmailChange.objects.exists()  # nothing pending for a link that never went out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_verification_link_is_mailed_after_the_account_is_committed(mailbox):
    """Read from a connection of its own the moment the message arrives: the account the
    link names is already there for whoever follows it at once."""
    import psycopg
    from django.db import connection

    from accounts.pii.blind_index import email_index

    def committed_accounts(received):
        with psycopg.connect(**connection.get_connection_params()) as other:
            return other.execute(
                "SELECT count(*) FROM accounts_user WHERE email_index = %s", [email_index("grace@example.org")]
            ).fetchone()[0]

    mailbox.on_arrival = committed_accounts
    assert Client().post(REGISTER, GOOD).status_code == 200
    assert mailbox.seen_on_arrival == [1]


def test_send_raises_mail_not_sent_when_the_server_refuses(smtp_server_factory):
    server = smtp_server_factory()
    server.stop()
    with pytest.raises(MailNotSent):
        send(Mail("verify_email", "a@b.org", {"link": "x", "hours": 1}))


def test_no_link_token_reaches_a_log_line(client, user, mailbox, caplog):
    caplog.set_level(logging.INFO)
    client.post(FORGOT, {"email": user.email})
    token_path = mailbox.messages[0].link("/link/reset/")
    token = token_path.split("/")[3]
    client.get(token_path + "x")  # a tampered link: refused, and Django logs the path of a 400
    server_line = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"GET %s HTTP/1.1" 200 1', (token_path,), None
    )
    records = [*(r for r in caplog.records if not r.name.startswith("mail.log")), server_line]  # not the test server's
    assert token in "".join(r.getMessage() for r in records)  # the unfiltered lines had it
    # Every handler the configuration gives these loggers runs the filter; run it as they do.
    for name in ("django", "django.server", "django.request", "accounts"):
        logger, ours = logging.getLogger(name), []
        while logger is not None and not ours:
            ours = [h for h in logger.handlers if not type(h).__module__.startswith("_pytest")]  # not pytest's capture
            logger = logger.parent if logger.propagate else None
        assert ours and all(any(isinstance(f, RedactLinkTokens) for f in handler.filters) for handler in ours), name
    for record in records:
        RedactLinkTokens().filter(record)
    lines = [r.getMessage() for r in records]
    assert any("/link/reset/[redacted]" in line for line in lines)
    assert not [line for line in lines if token in line or "example.org" in line]
    assert redact("/link/email/abc.def:ghi/") == "/link/email/[redacted]/"
