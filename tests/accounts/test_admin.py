"""The admin console for user audit: masked PII, view_pii, blind-index search,
read-only audit trail, session termination."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from accounts.models import AuditEvent, SSOSession, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(make_user):
    member = make_user("auditor@example.org", name="Audit Person", is_staff=True)
    member.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_user", "change_user", "view_auditevent", "view_ssosession", "change_ssosession"]
        )
    )
    return member


def staff_client(member, password, with_pii=False) -> Client:
    if with_pii:
        member.user_permissions.add(Permission.objects.get(codename="view_pii"))
    browser = Client()
    assert browser.post(reverse("accounts:login"), {"email": member.email, "password": password}).status_code == 302
    return browser


def test_user_list_masks_pii(staff, user, password):
    page = staff_client(staff, password).get(reverse("admin:accounts_user_changelist")).content.decode()
    assert "a\u2022\u2022\u2022@e\u2022\u2022\u2022.org" in page
    assert "ada@example.org" not in page and "Lovelace" not in page


def test_change_page_without_view_pii_is_masked_and_writes_no_reveal(staff, user, password):
    page = staff_client(staff, password).get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert "ada@example.org" not in page and "Lovelace" not in page
    assert "L\u2022\u2022\u2022" in page
    assert not AuditEvent.objects.filter(event_type="admin_viewed_pii").exists()


def reveal(browser, user):
    response = browser.post(reverse("admin:accounts_user_reveal", args=[user.pk]))
    assert response.status_code == 302, response.status_code
    return response


def test_with_view_pii_the_page_stays_masked_until_an_audited_reveal(staff, user, password):
    browser = staff_client(staff, password, with_pii=True)
    change = reverse("admin:accounts_user_change", args=[user.pk])
    masked = browser.get(change).content.decode()
    assert "ada@example.org" not in masked and 'id="reveal-pii"' in masked
    assert not AuditEvent.objects.filter(event_type="admin_viewed_pii").exists()  # looking is not revealing
    assert browser.get(reverse("admin:accounts_user_reveal", args=[user.pk])).status_code == 403  # never by GET
    assert reveal(browser, user)["Location"] == change
    assert "ada@example.org" in browser.get(change).content.decode()
    event = AuditEvent.objects.get(event_type="admin_viewed_pii")
    assert (event.user_id, event.actor_id) == (user.pk, staff.pk)


def test_without_view_pii_nothing_can_be_revealed(staff, user, password):
    browser = staff_client(staff, password)
    assert browser.post(reverse("admin:accounts_user_reveal", args=[user.pk])).status_code == 403
    assert 'id="reveal-pii"' not in browser.get(reverse("admin:accounts_user_change", args=[user.pk])).content.decode()
    assert not AuditEvent.objects.filter(event_type="admin_viewed_pii").exists()


def test_search_by_exact_email_through_the_blind_index(staff, user, make_user, password):
    make_user("someone.else@example.org")
    browser = staff_client(staff, password)
    url = reverse("admin:accounts_user_changelist")
    found = browser.get(url, {"q": " ADA@example.ORG "}).content.decode()
    assert str(user.pk)[:8] in found and "1 result" in found
    partial = browser.get(url, {"q": "ada@"}).content.decode()
    assert "0 results" in partial


def test_admin_edit_to_an_existing_email_is_refused(staff, user, make_user, password):
    other = make_user("taken@example.org")
    browser = staff_client(staff, password, with_pii=True)
    reveal(browser, user)
    response = browser.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        {
            "email": "TAKEN@example.org",
            "name": "Ada",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert User.objects.get(pk=user.pk).email == "ada@example.org"
    assert User.objects.get(pk=other.pk).email == "taken@example.org"


def test_terminate_action_ends_the_session_and_signs_the_browser_out(staff, user, password):
    victim = Client()
    victim.post(reverse("accounts:login"), {"email": user.email, "password": password})
    sso_session = SSOSession.objects.get(sid=victim.session["sso_sid"])
    browser = staff_client(staff, password)
    response = browser.post(
        reverse("admin:accounts_ssosession_changelist"),
        {
            "action": "terminate",
            "_selected_action": [sso_session.pk],
        },
    )
    assert response.status_code == 302
    sso_session.refresh_from_db()
    assert sso_session.end_reason == "admin_terminated"
    assert victim.get(reverse("accounts:account")).status_code == 302
    event = AuditEvent.objects.get(event_type="admin_terminated_session")
    assert (event.user_id, event.actor_id, event.sid) == (user.pk, staff.pk, sso_session.sid)


def test_audit_events_are_read_only(staff, user, password):
    browser = staff_client(staff, password)
    event = AuditEvent.objects.get(user=staff, event_type="login_success")
    listing = browser.get(reverse("admin:accounts_auditevent_changelist"), {"event_type": "login_success"})
    assert listing.status_code == 200
    assert (
        browser.post(reverse("admin:accounts_auditevent_change", args=[event.pk]), {"event_type": "logout"}).status_code
        == 403
    )
    assert (
        browser.post(reverse("admin:accounts_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    )
    event.event_type = "logout"
    with pytest.raises(PermissionDenied):
        event.save()
    with pytest.raises(PermissionDenied):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).event_type == "login_success"


def test_audit_events_filter_by_user(staff, user, password):
    Client().post(reverse("accounts:login"), {"email": user.email, "password": "wrong password here"})
    browser = staff_client(staff, password)
    url = reverse("admin:accounts_auditevent_changelist")
    assert "2 audit events" in browser.get(url).content.decode()
    page = browser.get(url, {"user__id__exact": str(user.pk)}).content.decode()
    assert "1 audit event" in page and "login_failure" in page


def test_the_password_page_masks_the_email_without_view_pii(staff, user, password):
    """The attack: the password-change page showed the address in its title and a hidden input, unaudited."""
    page = staff_client(staff, password).get(reverse("admin:auth_user_password_change", args=[user.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "ada@example.org" not in text and "a\u2022\u2022\u2022@e\u2022\u2022\u2022.org" in text
    assert not AuditEvent.objects.filter(event_type="admin_viewed_pii").exists()


def test_the_password_page_shows_the_email_only_after_a_reveal(staff, user, password):
    browser = staff_client(staff, password, with_pii=True)
    password_page = reverse("admin:auth_user_password_change", args=[user.pk])
    assert "ada@example.org" not in browser.get(password_page).content.decode()
    reveal(browser, user)
    assert "ada@example.org" in browser.get(password_page).content.decode()
    assert AuditEvent.objects.get(event_type="admin_viewed_pii").actor_id == staff.pk


def test_staff_cannot_grant_themselves_view_pii_or_superuser(staff, user, password):
    """The attack: a staff member with change_user gave itself view_pii through user_permissions."""
    browser = staff_client(staff, password)
    view_pii = Permission.objects.get(codename="view_pii")
    page = browser.get(reverse("admin:accounts_user_change", args=[staff.pk]))
    form = page.context["adminform"].form
    assert not {"user_permissions", "groups", "is_superuser"} & set(form.fields)
    response = browser.post(
        reverse("admin:accounts_user_change", args=[staff.pk]),
        {
            "name": "Audit Person",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "user_permissions": [view_pii.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "00:00:00",
        },
    )
    assert response.status_code == 302
    staff.refresh_from_db()
    assert not staff.is_superuser and not staff.user_permissions.filter(pk=view_pii.pk).exists()
    assert not User.objects.get(pk=staff.pk).has_perm("accounts.view_pii")


def test_staff_cannot_manage_groups_or_take_over_a_superuser(staff, make_user, password):
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["add_group", "change_group", "view_group"]))
    browser = staff_client(staff, password)
    assert browser.get(reverse("admin:auth_group_add")).status_code == 403
    view_only = browser.get(reverse("admin:accounts_user_change", args=[root.pk]))
    assert view_only.status_code == 200 and 'name="email"' not in view_only.content.decode()  # read-only, masked
    edit = browser.post(
        reverse("admin:accounts_user_change", args=[root.pk]), {"name": "Owned", "is_active": "on", "is_staff": "on"}
    )
    assert edit.status_code == 403
    refused = browser.post(
        reverse("admin:auth_user_password_change", args=[root.pk]),
        {"password1": "a new passphrase for root 9", "password2": "a new passphrase for root 9"},
    )
    assert refused.status_code == 403
    assert User.objects.get(pk=root.pk).check_password(password)


def test_audit_events_read_as_words(staff, user, password):
    browser = staff_client(staff, password)
    page = browser.get(reverse("admin:accounts_auditevent_changelist")).content.decode()
    rows = page.split('id="result_list"')[1].split("</table>")[0]
    assert "Sign-in" in rows and "login_success" not in rows


def test_sso_sessions_are_found_by_the_accounts_email_and_show_it_masked(staff, user, make_user, password):
    other = make_user("grace@example.org")
    staff_client(other, password)  # a session of someone else
    staff_client(user, password)
    browser = staff_client(staff, password)
    url = reverse("admin:accounts_ssosession_changelist")
    found = browser.get(url, {"q": "ADA@example.org"}).content.decode()
    assert "1 result" in found and "a\u2022\u2022\u2022@e\u2022\u2022\u2022.org" in found
    assert "ada@example.org" not in found.replace('value="ADA@example.org"', "")
    assert "0 results" in browser.get(url, {"q": "ada@"}).content.decode()


def test_an_address_staff_types_in_is_not_verified_until_its_owner_proves_it(staff, user, password):
    from django.utils import timezone

    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    browser = staff_client(staff, password, with_pii=True)
    reveal(browser, user)
    form = {"name": "Ada", "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00"}
    browser.post(reverse("admin:accounts_user_change", args=[user.pk]), {**form, "email": user.email})
    assert User.objects.get(pk=user.pk).email_verified  # saved, the address unchanged: still verified
    response = browser.post(
        reverse("admin:accounts_user_change", args=[user.pk]), {**form, "email": "ada2@example.org"}
    )
    assert response.status_code == 302
    changed = User.objects.get(pk=user.pk)
    assert changed.email == "ada2@example.org" and not changed.email_verified


def test_with_admin_require_mfa_staff_reach_the_console_only_after_a_second_factor(staff, password, settings):
    import time

    import pyotp

    from accounts.factors import recovery, totp

    settings.ADMIN_REQUIRE_MFA = True
    browser = staff_client(staff, password)
    sent = browser.get(reverse("admin:index"))
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("accounts:authenticator_setup"))
    assert browser.get(reverse("admin:accounts_user_changelist")).status_code == 302  # no page of it

    device = totp.pending_authenticator(staff)
    step = int(time.time() // 30)
    assert totp.verify_code(staff, pyotp.TOTP(device.secret).at((step - 1) * 30), confirming=True)
    recovery.new_recovery_codes(staff)
    asked = browser.get(reverse("admin:index"))
    assert asked["Location"] == reverse("accounts:second_factor")  # the password session steps up
    back = browser.post(asked["Location"], {"code": pyotp.TOTP(device.secret).at(step * 30)})
    assert back["Location"] == reverse("admin:index")
    assert browser.get(reverse("admin:index")).status_code == 200


def erase_url(account) -> str:
    return reverse("admin:accounts_user_delete", args=[account.pk])


def test_staff_erase_an_account_with_a_reason_and_it_is_audited(staff, user, password):
    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))
    victim = Client()
    victim.post(reverse("accounts:login"), {"email": user.email, "password": password})
    browser = staff_client(staff, password)
    page = browser.get(erase_url(user)).content.decode()
    assert 'id="erase-account"' in page and "ada@example.org" not in page  # masked here too

    for incomplete in ({}, {"reason": "abuse"}, {"confirm": "on"}, {"reason": "own_request", "confirm": "on"}):
        assert browser.post(erase_url(user), incomplete).status_code == 400, incomplete
    assert User.objects.filter(pk=user.pk).exists()  # nothing erased by an incomplete form

    response = browser.post(erase_url(user), {"reason": "abuse", "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("admin:accounts_user_changelist")
    assert not User.objects.filter(pk=user.pk).exists()
    assert victim.get(reverse("accounts:account")).status_code == 302  # signed out
    event = AuditEvent.objects.get(event_type="account_erased")
    assert (event.actor_id, event.detail["reason"]) == (staff.pk, "abuse")
    assert event.user_id != user.pk and not AuditEvent.objects.filter(user_id=user.pk).exists()


def test_accounts_cannot_be_deleted_in_bulk_or_by_staff_below_a_superuser(staff, user, make_user, password):
    staff.user_permissions.add(Permission.objects.get(codename="delete_user"))
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    browser = staff_client(staff, password)
    bulk = browser.post(
        reverse("admin:accounts_user_changelist"), {"action": "delete_selected", "_selected_action": [user.pk]}
    )
    assert bulk.status_code in {200, 302}
    assert User.objects.filter(pk=user.pk).exists()  # no such action: nothing deleted
    assert browser.post(erase_url(root), {"reason": "abuse", "confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


def test_the_last_superuser_cannot_be_erased_from_the_console(make_user, password):
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    browser = staff_client(root, password)
    response = browser.post(erase_url(root), {"reason": "inactive", "confirm": "on"})
    assert response.status_code == 400 and "only active superuser" in response.content.decode()
    assert User.objects.filter(pk=root.pk).exists()


def test_the_signing_keys_are_listed_read_only_without_their_private_half(make_user, password):
    from accounts.models import StoredSigningKey
    from accounts.oauth.keyring import signing_keyring

    record = StoredSigningKey.objects.get(kid=signing_keyring().current.kid)
    root = make_user("root@example.org", is_staff=True, is_superuser=True)
    browser = staff_client(root, password)
    assert record.kid in browser.get(reverse("admin:accounts_storedsigningkey_changelist")).content.decode()
    page = browser.get(reverse("admin:accounts_storedsigningkey_change", args=[record.pk]))
    assert page.status_code == 200 and "sealed" not in page.content.decode()
    assert (
        browser.post(reverse("admin:accounts_storedsigningkey_delete", args=[record.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert StoredSigningKey.objects.filter(kid=record.kid).exists()


def test_a_partner_address_typed_without_a_scheme_is_taken_as_https(rf):
    from django.contrib import admin

    from accounts.models import PartnerSite

    form = admin.site._registry[PartnerSite].get_form(rf.get("/admin/"))()
    for name in ("backchannel_logout_uri", "security_event_uri", "resource_uri"):
        assert form.fields[name].clean("partner.example/hook") == "https://partner.example/hook", name
