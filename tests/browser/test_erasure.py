"""Erasure end to end in a real Chromium: the owner deletes the account at the IdP, and
every partner site it signed in to deletes its own copy, including a site that was
down at the time and hears of it from the outbox when it is back."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import OutboxMessage, PartnerSite, User
from accounts.oauth.claims import subject_for
from tests.browser.test_sso import Steps, sign_in_on_idp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def install_first_item(page, partner) -> None:
    page.goto(partner.url + "/")
    page.click("main a[href^='/items/']")
    page.click("button[type=submit]:has-text('Install')")


def test_a_deleted_account_is_deleted_by_every_partner_even_one_that_was_down(
    chromium, marketplace, languages, partner_processes, user, password
):
    page = chromium.new_context().new_page()
    steps = Steps(page, "account-erasure")
    subjects = {
        partner.client_id: subject_for(user, PartnerSite.objects.get(client_id=partner.client_id))
        for partner in (marketplace, languages)
    }

    install_first_item(page, languages)
    sign_in_on_idp(page, user, password)
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(languages.url + "/mine/")
    install_first_item(page, marketplace)
    page.click("button[name=decision][value=allow]")  # signed in at the IdP already: consent only
    page.wait_for_url(marketplace.url + "/mine/")
    assert marketplace.local_account(subjects["marketplace"]) == (1, 1)
    assert languages.local_account(subjects["languages"]) == (1, 1)

    languages.stop()  # the languages site is down when the account goes
    page.goto(marketplace.issuer + "/account/")
    page.click("#delete-account")
    page.wait_for_selector("#erase")
    steps.shot("confirm-deletion")
    page.click("#erase")  # neither password nor confirmation: refused, nothing deleted
    page.wait_for_selector(".field__error")
    assert page.locator(".field__error").count() == 2
    steps.shot("refused-without-password")
    assert User.objects.filter(pk=user.pk).exists()
    page.fill("input[name=password]", password)
    page.check("input[name=understood]")
    page.click("#erase")
    page.wait_for_url(marketplace.issuer + "/account/deleted/")
    assert "Your account has been deleted" in page.inner_text("h1")
    steps.shot("account-deleted")
    assert not User.objects.filter(pk=user.pk).exists()

    assert marketplace.local_account(subjects["marketplace"]) == (0, 0)  # told at once, by push
    page.goto(marketplace.url + "/mine/")
    assert page.url.startswith(marketplace.issuer + "/login/")  # its session there ended too
    steps.shot("marketplace-forgot-the-account")

    waiting = OutboxMessage.objects.get(site__client_id="languages", kind=OutboxMessage.Kind.ACCOUNT_PURGED)
    assert waiting.status == OutboxMessage.Status.PENDING and waiting.attempts == 1
    assert waiting.sub == subjects["languages"]  # the site's own pairwise subject

    partner_processes("languages")  # back up, on the same address
    OutboxMessage.objects.filter(pk=waiting.pk).update(next_attempt_at=timezone.now())  # its retry is due
    call_command("deliver_logouts")
    waiting.refresh_from_db()
    assert waiting.status == OutboxMessage.Status.DELIVERED
    assert languages.local_account(subjects["languages"]) == (0, 0)
    page.goto(languages.url + "/mine/")
    assert page.url.startswith(languages.issuer + "/login/")
    steps.shot("languages-forgot-the-account")
