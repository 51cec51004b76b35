from django.core.management.base import BaseCommand

from accounts.oauth.keyring import rotate_signing_key
from sso_project.keys import SIGNING_ALGORITHMS


class Command(BaseCommand):
    help = "Makes a new current JWT signing key; older keys stay published until their tokens have expired."

    def add_arguments(self, parser):
        parser.add_argument("--algorithm", choices=SIGNING_ALGORITHMS, default=None)

    def handle(self, *args, algorithm, **options):
        key, removed = rotate_signing_key(algorithm)
        self.stdout.write(f"new current signing key: kid={key.kid} alg={key.algorithm}")
        for kid in removed:
            self.stdout.write(f"removed expired key: kid={kid}")
