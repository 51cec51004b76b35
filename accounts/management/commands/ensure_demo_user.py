import json
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_ACCOUNTS = (
    # (email, name, is superuser, role printed)
    ("demo@example.com", "Demo User", False, "demo user"),
    ("admin@example.com", "Demo Administrator", True, "admin console"),
)


def credentials_file() -> Path:
    return Path(settings.BASE_DIR) / ".keys" / "demo-credentials.json"


def demo_account(email: str, name: str, *, is_superuser: bool = False) -> tuple[User, str]:
    """The demo account ``email``, created once with a generated password kept in the
    git-ignored key folder. An existing account is left as it is: its password is never
    set again, so browser sessions survive a restart and a password the user chose stays."""
    path = credentials_file()
    passwords = json.loads(path.read_text()) if path.exists() else {}
    password = passwords.setdefault(email, secrets.token_urlsafe(12))
    try:
        user = User.objects.get_by_email(email)
    except User.DoesNotExist:
        create = User.objects.create_superuser if is_superuser else User.objects.create_user
        user = create(email, password, name=name)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.write_text(json.dumps(passwords))
        path.chmod(0o600)
    return user, password


class Command(BaseCommand):
    help = (
        "Creates the demo user and a demo administrator once (passwords generated into the "
        "git-ignored key folder) and prints their credentials; never changes an existing account."
    )

    def handle(self, *args, **options):
        for email, name, is_superuser, role in DEMO_ACCOUNTS:
            user, password = demo_account(email, name, is_superuser=is_superuser)
            shown = password if user.check_password(password) else "(changed since: the one you chose)"
            self.stdout.write(f"{role}: {email}  password: {shown}")
