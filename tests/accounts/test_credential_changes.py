"""A password set, or an account disabled, by any path ends all of the user's sessions
as "sign out everywhere" does (RFC 9700 section 4.14.2; DESIGN.md section 5)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, OutboxMessage, PartnerSite, SiteAccount, SSOSession, User
from tests.accounts.oauth.test_logout import partner, sign_in_to
from tests.support.exchange import exchange as token_exchange
from tests.support.exchange import native_app, native_sso_params
from tests.support.http_peer import LogoutReceiver, free_port
from tests.support.oauth import token_request

pytestmark = pytest.mark.django_db(transaction=True)
NEW_PASSWORD = "a completely different passphrase 7"


@pytest.fixture
def receiver():
    peer = LogoutReceiver(free_port()).start()
    yield peer
    peer.stop()


@pytest.fixture
def signed_in(browser, receiver):
    """The user signed in to a partner site (which receives back-channel logouts) and to a native app."""
    shop = partner("shop", receiver.uri)
    return {"shop": sign_in_to(shop, browser)}


def still_usable(tokens: dict, client_id: str = "shop") -> dict[str, bool]:
    refresh = token_request(
        Client(), {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}, client_id=client_id
    )
    userinfo = Client().get(reverse("oauth:userinfo"), HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    return {"refresh": refresh.status_code == 200, "userinfo": userinfo.status_code == 200}


def superuser_client(make_user, password) -> tuple[Client, User]:
    admin = make_user("root@example.org", is_staff=True, is_superuser=True)
    browser = Client()
    assert browser.post(reverse("accounts:login"), {"email": admin.email, "password": password}).status_code == 302
    return browser, admin


def assert_signed_out_everywhere(user, browser, tokens, receiver, reason):
    assert not SSOSession.objects.active().filter(user=user).exists()
    assert set(SSOSession.objects.filter(user=user).values_list("end_reason", flat=True)) == {reason}
    assert still_usable(tokens) == {"refresh": False, "userinfo": False}
    assert browser.get(reverse("accounts:account")).status_code == 302
    assert len(receiver.tokens) == 1  # the partner site was told, by back-channel logout
    assert OutboxMessage.objects.get().status == "delivered"


def test_an_administrator_setting_a_password_ends_every_session(
    user, browser, signed_in, receiver, make_user, password
):
    """The attack: after an admin set a new password the old refresh token, access token and SSO session lived on."""
    console, admin = superuser_client(make_user, password)
    assert SSOSession.objects.active().filter(user=user).count() == 1
    response = console.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert_signed_out_everywhere(user, browser, signed_in["shop"], receiver, "password_changed")
    assert AuditEvent.objects.get(event_type="password_change", user=user).actor_id == admin.pk
    assert console.get(reverse("admin:index")).status_code == 200  # the administrator's own session goes on


def test_code_calling_set_password_and_save_ends_every_session(user, browser, signed_in, receiver):
    user.set_password(NEW_PASSWORD)
    user.save()
    assert_signed_out_everywhere(user, browser, signed_in["shop"], receiver, "password_changed")


def test_an_unusable_password_ends_every_session_too(user, browser, signed_in, receiver):
    user.set_unusable_password()
    user.save(update_fields=["password"])
    assert_signed_out_everywhere(user, browser, signed_in["shop"], receiver, "password_changed")


def test_disabling_an_account_ends_its_sessions_and_tells_the_partner_sites(user, browser, signed_in, receiver):
    """The attack: a disabled user's tokens were refused but no partner site was told."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_signed_out_everywhere(user, browser, signed_in["shop"], receiver, "account_disabled")
    assert AuditEvent.objects.filter(event_type="account_disabled", user=user).exists()


def test_sites_registered_for_it_receive_an_account_disabled_event(user, browser, signed_in, receiver):
    PartnerSite.objects.filter(client_id="shop").update(
        security_event_uri=receiver.event_uri, account_disabled_events=True
    )
    quiet = partner("quiet", receiver.uri)  # has a receiver, but did not ask for account-disabled
    PartnerSite.objects.filter(pk=quiet.pk).update(security_event_uri=receiver.event_uri)
    SiteAccount.objects.create(user=user, site=quiet)
    user.is_active = False
    user.save(update_fields=["is_active"])
    event = OutboxMessage.objects.get(kind="account-disabled")
    assert (event.site.client_id, event.status) == ("shop", "delivered")
    assert receiver.security_events == 1


def test_the_device_secret_stops_exchanging_after_a_password_set_elsewhere(user, first_app_tokens):
    native_app("acme-calendar")
    assert token_exchange("acme-calendar", **native_sso_params(first_app_tokens)).status_code == 200
    user.set_password(NEW_PASSWORD)
    user.save()
    refused = token_exchange("acme-calendar", **native_sso_params(first_app_tokens))
    assert refused.status_code == 400 and refused.json()["error"] in {"invalid_request", "invalid_grant"}


def test_the_account_page_keeps_its_own_session_and_ends_the_others(user, browser, signed_in, receiver, password):
    other_device = Client()
    assert other_device.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    response = browser.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert browser.get(reverse("accounts:account")).status_code == 200  # this session stays
    assert other_device.get(reverse("accounts:account")).status_code == 302
    assert SSOSession.objects.active().filter(user=user).count() == 1
    assert AuditEvent.objects.filter(event_type="password_change", user=user, actor=None).count() == 1


def test_an_upgraded_hash_at_login_is_not_a_password_change(make_user, password):
    user = make_user("old@example.org")
    User.objects.filter(pk=user.pk).update(password=make_password(password, hasher="pbkdf2_sha256"))
    first = Client()
    assert first.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    assert User.objects.get(pk=user.pk).password.startswith("argon2")  # upgraded by that login
    second = Client()
    assert second.post(reverse("accounts:login"), {"email": user.email, "password": password}).status_code == 302
    assert first.get(reverse("accounts:account")).status_code == 200  # the upgrade ended nothing
    assert SSOSession.objects.active().filter(user=user).count() == 2


def test_saving_other_fields_ends_nothing(user, browser, signed_in):
    user.name = "Ada King"
    user.save()
    user.save(update_fields=["last_login"])
    assert SSOSession.objects.active().filter(user=user).count() == 1
    assert browser.get(reverse("accounts:account")).status_code == 200


def test_a_staff_member_deactivating_a_user_in_the_admin_is_the_actor(
    user, browser, signed_in, receiver, make_user, password
):
    staff = make_user("staff@example.org", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_user", "change_user"]))
    console = Client()
    assert console.post(reverse("accounts:login"), {"email": staff.email, "password": password}).status_code == 302
    page = console.get(reverse("admin:accounts_user_change", args=[user.pk]))
    form = page.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name in form.fields}
    data.update(
        {
            "is_active": "",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        }
    )
    data.pop("is_active")
    response = console.post(reverse("admin:accounts_user_change", args=[user.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    assert not User.objects.get(pk=user.pk).is_active
    assert_signed_out_everywhere(user, browser, signed_in["shop"], receiver, "account_disabled")
    assert AuditEvent.objects.get(event_type="account_disabled", user=user).actor_id == staff.pk


def test_changing_ones_own_password_in_the_admin_keeps_that_session(make_user, password):
    console, admin = superuser_client(make_user, password)
    elsewhere = Client()
    assert elsewhere.post(reverse("accounts:login"), {"email": admin.email, "password": password}).status_code == 302
    response = console.post(
        reverse("admin:auth_user_password_change", args=[admin.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "set_usable_password": "true"},
    )
    assert response.status_code == 302
    assert console.get(reverse("admin:index")).status_code == 200
    assert elsewhere.get(reverse("accounts:account")).status_code == 302
    assert AuditEvent.objects.get(event_type="password_change", user=admin).actor_id is None  # their own
