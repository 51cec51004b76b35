"""The demo's mailbox: messages kept as files and announced in the terminal, a page that
lists them, and no such page anywhere else."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from sso_project.env import email_from_url

pytestmark = pytest.mark.django_db
MAILBOX = reverse("accounts:demo_mailbox")


@pytest.fixture
def demo_mail(settings, tmp_path):
    config = email_from_url(f"demo://{tmp_path}/mail")
    settings.EMAIL_BACKEND, settings.DEMO_MAILBOX_DIR = config["EMAIL_BACKEND"], config["DEMO_MAILBOX_DIR"]
    return tmp_path / "mail"


def test_the_demo_keeps_each_message_prints_its_link_and_lists_it(demo_mail, capsys, mailbox):
    Client().post(
        reverse("accounts:register"),
        {
            "email": "demo@example.org",
            "password": "a long enough passphrase 7",
            "password_confirm": "a long enough passphrase 7",
        },
    )
    assert len(list(demo_mail.glob("*.eml"))) == 1 and mailbox.messages == []  # not through SMTP
    printed = capsys.readouterr().out
    assert "[demo mail] to demo@example.org" in printed and "/link/verify/" in printed

    page = Client().get(MAILBOX).content.decode()
    assert "Confirm your e-mail address" in page and "demo@example.org" in page
    assert '<a href="http://localhost:8000/link/verify/' in page  # the link, to click


def test_without_the_demo_there_is_no_mailbox_page(settings):
    settings.DEMO_MAILBOX_DIR = None
    assert Client().get(MAILBOX).status_code == 404
