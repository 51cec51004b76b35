import time

from django.core.management.base import BaseCommand

from accounts.outbox import deliver_due


class Command(BaseCommand):
    help = (
        "Sends what is due in the outbox to partner sites: back-channel logout tokens and "
        "Security Event Tokens (once, or forever with --loop)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, checking every --interval seconds")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, loop, interval, **options):
        while True:
            delivered, pending = deliver_due()
            if delivered or not loop:
                self.stdout.write(f"delivered {delivered}, pending {pending}")
            if not loop:
                return
            time.sleep(interval)
