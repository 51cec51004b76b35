import time

from django.core.management.base import BaseCommand

from accounts.oauth.backchannel import deliver_due_logouts


class Command(BaseCommand):
    help = "Sends due back-channel logout tokens (once, or forever with --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running, checking every --interval seconds")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, loop, interval, **options):
        while True:
            delivered, pending = deliver_due_logouts()
            if delivered or not loop:
                self.stdout.write(f"delivered {delivered}, pending {pending}")
            if not loop:
                return
            time.sleep(interval)
