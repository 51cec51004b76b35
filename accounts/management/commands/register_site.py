import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.oauth.registry import SiteRegistration, register_site
from sso_project.keys import SIGNING_ALGORITHMS


class Command(BaseCommand):
    help = (
        "Registers (or updates) a partner site and prints its client_id and, when one was generated now, "
        "its client_secret as JSON (shown once; only its hash is kept)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--client-id", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        parser.add_argument("--post-logout-redirect-uri", action="append", default=[], dest="post_logout_redirect_uris")
        parser.add_argument("--backchannel-logout-uri", default="")
        parser.add_argument(
            "--security-event-uri", default="", help="push receiver of Security Event Tokens (RFC 8935)"
        )
        parser.add_argument(
            "--account-disabled",
            action="store_true",
            dest="account_disabled_events",
            help="also push account-disabled events when an administrator disables a user",
        )
        parser.add_argument("--public", action="store_true")
        parser.add_argument("--subject-type", choices=["public", "pairwise"], default="public")
        parser.add_argument("--first-party", action="store_true")
        parser.add_argument("--scope", action="append", default=[], dest="scopes")
        # No --client-secret: a secret is generated (256 bits) and printed once.
        parser.add_argument(
            "--new-client-secret",
            action="store_true",
            help="replace the site's client secret with a newly generated one",
        )
        parser.add_argument("--vendor", default="", dest="vendor_group", help="vendor group of native apps")
        parser.add_argument("--native-sso", action="store_true", help="may share sessions within its vendor group")
        parser.add_argument("--resource-uri", default="", help="identifier of the site's API (token-exchange target)")
        parser.add_argument(
            "--exchange-client",
            action="append",
            default=[],
            dest="exchange_clients",
            help="client_id allowed to exchange a user's token for one for this site (RFC 8693)",
        )
        parser.add_argument(
            "--delegation-actor",
            action="append",
            default=[],
            dest="delegation_actors",
            help="client_id allowed to act for users at this site (RFC 8693 act)",
        )
        parser.add_argument(
            "--id-token-signed-response-alg",
            choices=SIGNING_ALGORITHMS,
            default="RS256",
            dest="signing_algorithm",
            help="what the site's tokens are signed with (default RS256)",
        )
        parser.add_argument(
            "--legacy-client-id",
            action="append",
            default=[],
            dest="legacy_client_ids",
            help="legacy provider client_id whose refresh tokens this site may migrate",
        )

        parser.add_argument(
            "--require-verified-email",
            action="store_true",
            help="users continue to the site only once they have verified their address",
        )
        parser.add_argument(
            "--require-mfa",
            action="store_true",
            help="users continue to the site only after a second factor (they are guided to set one up)",
        )

    def handle(self, *args, **options):
        registration = SiteRegistration(
            client_id=options["client_id"],
            name=options["name"],
            redirect_uris=options["redirect_uris"],
            post_logout_redirect_uris=options["post_logout_redirect_uris"],
            backchannel_logout_uri=options["backchannel_logout_uri"],
            security_event_uri=options["security_event_uri"],
            account_disabled_events=options["account_disabled_events"],
            public=options["public"],
            subject_type=options["subject_type"],
            first_party=options["first_party"],
            scopes=[s for value in options["scopes"] for s in value.split()],
            new_secret=options["new_client_secret"],
            vendor_group=options["vendor_group"],
            native_sso=options["native_sso"],
            resource_uri=options["resource_uri"],
            exchange_clients=options["exchange_clients"],
            delegation_actors=options["delegation_actors"],
            legacy_client_ids=options["legacy_client_ids"],
            signing_algorithm=options["signing_algorithm"],
            require_verified_email=options["require_verified_email"],
            require_mfa=options["require_mfa"],
        )
        try:
            site, secret = register_site(registration)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        output = {"client_id": site.client_id}
        if secret is not None:
            output["client_secret"] = secret
        self.stdout.write(json.dumps(output))
