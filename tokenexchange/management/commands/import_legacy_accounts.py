from django.core.management.base import BaseCommand, CommandError

from tokenexchange.legacy_accounts import ImportFileError, import_legacy_accounts, parse_legacy_accounts


class Command(BaseCommand):
    help = (
        "Imports legacy accounts from a JSON-lines file ({legacy_sub, email, name} per line): "
        "all or nothing, idempotent, PII encrypted, emails matched through the blind index."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            with open(file, encoding="utf-8") as handle:
                accounts = parse_legacy_accounts(handle)
            report = import_legacy_accounts(accounts)
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text; nothing imported") from None
        except ImportFileError as error:
            for line in error.errors:
                self.stderr.write(line)
            raise CommandError(f"{len(error.errors)} bad line(s); nothing imported") from None
        self.stdout.write(
            f"{report.accounts} accounts: {report.users_created} users created, {report.users_matched} matched, "
            f"{report.links_created} links created, {report.links_unchanged} unchanged"
        )
