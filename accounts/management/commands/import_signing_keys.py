from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.oauth.keyring import KeyRingError, import_key_folder


class Command(BaseCommand):
    help = (
        "Adds the PEM signing keys of a folder (<created-ms>-<kid>.pem, as the ring was kept before it "
        "moved to the database) to the database's key ring, so tokens they signed stay valid. Run it on "
        "every node that had keys of its own; keys already in the ring are skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", type=Path)

    def handle(self, *args, folder, **options):
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a folder")
        try:
            imported = import_key_folder(folder)
        except (KeyRingError, ValueError, TypeError) as error:  # TypeError: a PEM that needs a password
            raise CommandError(str(error)) from None
        for kid in imported:
            self.stdout.write(f"imported signing key: kid={kid}")
        self.stdout.write(f"imported {len(imported)} key(s)")
