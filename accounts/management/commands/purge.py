from django.core.management.base import BaseCommand, CommandError

from accounts.privacy.retention import DEFAULT_BATCH_SIZE, RULES, purge_rule


class Command(BaseCommand):
    help = (
        "Removes what no longer serves anyone: ended SSO sessions past their retention, expired token "
        "rows, spent codes, settled outbox messages, expired links and sessions, audit events past "
        "retention. Batched, one transaction per batch, safe while the IdP serves; run it daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        total = 0
        for rule in RULES:
            removed = purge_rule(rule, batch_size=batch_size)
            for table, count in sorted(removed.items()):
                self.stdout.write(f"{rule.name}: {table} {count}")
            total += sum(removed.values())
        self.stdout.write(f"removed {total} rows")
