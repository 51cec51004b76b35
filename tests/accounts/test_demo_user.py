import pytest
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_demo_accounts_are_created_once_and_printed_with_working_passwords(capsys, settings, tmp_path):
    settings.BASE_DIR = tmp_path
    call_command("ensure_demo_user")
    first = capsys.readouterr().out
    call_command("ensure_demo_user")
    assert capsys.readouterr().out == first  # a second run reuses the same credentials
    assert User.objects.count() == 2
    for line in first.splitlines():
        email, password = line.split(": ", 1)[1].split("  password: ")
        user = User.objects.get_by_email(email)
        assert user.check_password(password)
    assert User.objects.get_by_email("admin@example.com").is_superuser
    assert not User.objects.get_by_email("demo@example.com").is_staff
