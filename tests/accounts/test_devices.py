"""The coarse device description the account page shows for a session."""

from __future__ import annotations

import pytest

from accounts.devices import describe_device

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
EDGE_WINDOWS = CHROME_WINDOWS + " Edg/124.0.2478.80"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
CHROME_LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.mark.parametrize(
    ("user_agent", "described"),
    [
        (FIREFOX_ANDROID, "Firefox on Android"),
        (CHROME_WINDOWS, "Chrome on Windows"),
        (EDGE_WINDOWS, "Edge on Windows"),
        (SAFARI_IPHONE, "Safari on iOS"),
        (CHROME_LINUX, "Chrome on Linux"),
        ("curl/8.5.0", ""),
        ("", ""),
    ],
)
def test_a_user_agent_is_described_coarsely(user_agent, described):
    assert describe_device(user_agent) == described


@pytest.mark.django_db
def test_the_session_stores_the_description_never_the_user_agent(client, user, password):
    from django.urls import reverse

    from accounts.models import SSOSession

    client.post(reverse("accounts:login"), {"email": user.email, "password": password}, HTTP_USER_AGENT=FIREFOX_ANDROID)
    session = SSOSession.objects.get(user=user)
    assert session.device == "Firefox on Android"
    assert "rv:125.0" not in str(SSOSession.objects.filter(pk=session.pk).values().get())
    assert "Firefox on Android" in client.get(reverse("accounts:account")).content.decode()
