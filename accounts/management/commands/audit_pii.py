from django.core.management.base import BaseCommand, CommandError

from accounts.pii.audit import CURRENT, EMPTY, PLAINTEXT, PREVIOUS_KEY, UNREADABLE, audit_pii_columns

MAX_IDS_SHOWN = 20


class Command(BaseCommand):
    help = (
        "Reads every registered PII column of every table as stored (raw SQL) and fails "
        "if any value is readable plaintext or not decryptable with the PII key ring."
    )

    def handle(self, *args, **options):
        reports = audit_pii_columns()
        for report in reports:
            c = report.counts
            self.stdout.write(
                f"{report.table}.{report.column}: {sum(c.values())} rows, "
                f"{c.get(CURRENT, 0)} ciphertext (current key), {c.get(PREVIOUS_KEY, 0)} ciphertext (previous key), "
                f"{c.get(EMPTY, 0)} empty, {c.get(PLAINTEXT, 0)} plaintext, {c.get(UNREADABLE, 0)} unreadable"
            )
        failures = []
        for report in reports:
            for verdict, ids in ((PLAINTEXT, report.plaintext_row_ids), (UNREADABLE, report.unreadable_row_ids)):
                if ids:
                    shown = ", ".join(ids[:MAX_IDS_SHOWN]) + (" ..." if len(ids) > MAX_IDS_SHOWN else "")
                    failures.append(
                        f"{report.table}.{report.column}: {len(ids)} {verdict} value(s) in row id(s) {shown}"
                    )
        if any(r.counts.get(PREVIOUS_KEY) for r in reports):
            self.stdout.write("note: some values are under a previous PII key; run rotate_pii_key")
        if failures:
            for line in failures:
                self.stderr.write(line)
            raise CommandError("PII audit failed")
        self.stdout.write(self.style.SUCCESS("PII audit passed: no plaintext personal data at rest"))
