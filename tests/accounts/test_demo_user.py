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


def test_a_second_run_changes_no_password_and_ends_no_session(capsys, settings, tmp_path, client):
    """The attack on the demo: each `make demo` re-hashed the passwords, ending every browser
    session of those accounts and undoing a password the user had changed."""
    from django.urls import reverse

    settings.BASE_DIR = tmp_path
    call_command("ensure_demo_user")
    email, password = capsys.readouterr().out.splitlines()[0].split(": ", 1)[1].split("  password: ")
    assert client.post(reverse("accounts:login"), {"email": email, "password": password}).status_code == 302
    user = User.objects.get_by_email(email)
    user.set_password("the user's own new passphrase 3")
    user.save()
    client.post(reverse("accounts:login"), {"email": email, "password": "the user's own new passphrase 3"})
    call_command("ensure_demo_user")
    again = capsys.readouterr().out.splitlines()[0]
    assert again == f"demo user: {email}  password: (changed since: the one you chose)"
    assert User.objects.get_by_email(email).check_password("the user's own new passphrase 3")
    assert client.get(reverse("accounts:account")).status_code == 200  # still signed in
