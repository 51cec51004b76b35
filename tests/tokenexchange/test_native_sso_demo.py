import pytest
from django.core.management import call_command

from tokenexchange.models import DeviceSecret

pytestmark = pytest.mark.django_db


def test_the_native_sso_demo_plays_both_apps_and_the_logout(capsys, settings, tmp_path):
    from django.test import Client
    from django.urls import reverse

    from accounts.models import SSOSession

    settings.BASE_DIR = tmp_path
    call_command("ensure_demo_user")
    email, password = capsys.readouterr().out.splitlines()[0].split(": ", 1)[1].split("  password: ")
    demo_browser = Client()
    assert demo_browser.post(reverse("accounts:login"), {"email": email, "password": password}).status_code == 302
    call_command("native_sso_demo")
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith("response:")]
    assert [line.split()[2] for line in steps] == [
        "302",
        "200",
        "200",
        "302",
        "400",
        "400",
    ]  # sign-out everywhere ends on a page of its own
    assert '"device_secret": "' in steps[1] and '"issued_token_type"' in steps[2]
    assert '"error": "invalid_request"' in steps[4] and '"error": "invalid_grant"' in steps[5]
    assert DeviceSecret.objects.get().revoked_at is not None
    assert "native-demo@example.com" in out
    # It plays an account of its own: the demo user stays signed in.
    assert demo_browser.get(reverse("accounts:account")).status_code == 200
    assert SSOSession.objects.active().count() == 1
