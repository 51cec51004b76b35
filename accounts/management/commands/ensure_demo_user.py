import secrets
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts.models import User

DEMO_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = "Creates the demo account once (password kept in the git-ignored key folder) and prints its credentials."

    def handle(self, *args, **options):
        password_file = Path(settings.BASE_DIR) / ".keys" / "demo-user-password"
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            password_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            password_file.write_text(password + "\n")
        try:
            user = User.objects.get_by_email(DEMO_EMAIL)
        except User.DoesNotExist:
            user = User.objects.create_user(DEMO_EMAIL, password, name="Demo User")
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        self.stdout.write(f"demo user: {DEMO_EMAIL}  password: {password}")
