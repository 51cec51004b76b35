import json
import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_ACCOUNTS = (
    # (email, name, is superuser)
    ("demo@example.com", "Demo User", False),
    ("admin@example.com", "Demo Administrator", True),
)


class Command(BaseCommand):
    help = (
        "Creates the demo user and a demo administrator once (passwords generated into the "
        "git-ignored key folder, reused on later runs) and prints their credentials."
    )

    def handle(self, *args, **options):
        credentials_file = Path(settings.BASE_DIR) / ".keys" / "demo-credentials.json"
        passwords = json.loads(credentials_file.read_text()) if credentials_file.exists() else {}
        for email, name, is_superuser in DEMO_ACCOUNTS:
            password = passwords.setdefault(email, secrets.token_urlsafe(12))
            try:
                user = User.objects.get_by_email(email)
            except User.DoesNotExist:
                create = User.objects.create_superuser if is_superuser else User.objects.create_user
                user = create(email, password, name=name)
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
            role = "admin console" if is_superuser else "demo user"
            self.stdout.write(f"{role}: {email}  password: {password}")
        credentials_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        credentials_file.write_text(json.dumps(passwords))
        credentials_file.chmod(0o600)
