from django.core.management.base import BaseCommand, CommandError

from accounts.pii.keyring import UndecryptableValue
from accounts.pii.rotation import rotate_pii_key


class Command(BaseCommand):
    help = (
        "Re-encrypts every PII value under the current PII_KEY. Put the old key in "
        "PII_PREVIOUS_KEYS (or .keys/pii-previous.keys) first. Safe to interrupt and re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")

        def report(table, result):
            self.stdout.write(
                f"{table}: {result.rows_scanned} rows scanned, {result.values_reencrypted} values re-encrypted"
            )

        try:
            result = rotate_pii_key(batch_size=batch_size, on_batch=report if options["verbosity"] > 1 else None)
        except UndecryptableValue as error:
            raise CommandError(f"stopped: a value no PII key can decrypt ({error}); run audit_pii") from None
        self.stdout.write(
            self.style.SUCCESS(
                f"done: {result.rows_scanned} rows scanned, {result.values_reencrypted} values re-encrypted"
            )
        )
