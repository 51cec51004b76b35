import pytest
from django.core.management import call_command

from tokenexchange.models import DeviceSecret

pytestmark = pytest.mark.django_db


def test_the_native_sso_demo_plays_both_apps_and_the_logout(capsys, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("native_sso_demo")
    out = capsys.readouterr().out
    steps = [line for line in out.splitlines() if line.startswith("response:")]
    assert [line.split()[2] for line in steps] == ["302", "200", "200", "200", "400", "400"]
    assert '"device_secret": "' in steps[1] and '"issued_token_type"' in steps[2]
    assert '"error": "invalid_request"' in steps[4] and '"error": "invalid_grant"' in steps[5]
    assert DeviceSecret.objects.get().revoked_at is not None
