"""The logout outbox becomes the outbox to partner sites (back-channel logouts and
Security Event Tokens); sites gain a security event receiver; the sites that
know each account are kept, backfilled from every trace of a sign-in on file."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def backfill_site_accounts(apps, schema_editor):
    SiteAccount = apps.get_model("accounts", "SiteAccount")
    SessionSite = apps.get_model("accounts", "SessionSite")
    Consent = apps.get_model("accounts", "Consent")
    AuditEvent = apps.get_model("accounts", "AuditEvent")
    PartnerSite = apps.get_model("accounts", "PartnerSite")
    User = apps.get_model("accounts", "User")
    first: dict[tuple, object] = {}

    def saw(user_id, site_id, at):
        key = (user_id, site_id)
        first[key] = min(first.get(key, at), at)

    for user_id, site_id, at in SessionSite.objects.values_list("sso_session__user_id", "site_id", "first_at"):
        saw(user_id, site_id, at)
    for user_id, site_id, at in Consent.objects.values_list("user_id", "site_id", "granted_at"):
        saw(user_id, site_id, at)
    site_ids = dict(PartnerSite.objects.values_list("client_id", "pk"))
    users = set(User.objects.values_list("pk", flat=True))
    issued = AuditEvent.objects.filter(event_type="token_issued", user_id__isnull=False).exclude(client_id="")
    for user_id, client_id, at in issued.values_list("user_id", "client_id", "occurred_at").iterator():
        if client_id in site_ids and user_id in users:
            saw(user_id, site_ids[client_id], at)
    SiteAccount.objects.bulk_create(
        [SiteAccount(user_id=user_id, site_id=site_id, first_at=at) for (user_id, site_id), at in first.items()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0017_data_exported"),
    ]

    operations = [
        migrations.AddField(
            model_name="partnersite",
            name="account_disabled_events",
            field=models.BooleanField(
                default=False, help_text="Also told account-disabled when an administrator disables a user."
            ),
        ),
        migrations.AddField(
            model_name="partnersite",
            name="security_event_uri",
            field=models.URLField(blank=True, help_text="Push receiver of Security Event Tokens (RFC 8935)."),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="event_type",
            field=models.CharField(
                choices=[
                    ("registration", "Registration"),
                    ("login_success", "Sign-in"),
                    ("login_failure", "Failed sign-in"),
                    ("logout", "Sign-out"),
                    ("password_change", "Password changed"),
                    ("account_locked", "Account locked"),
                    ("session_ended", "Session ended"),
                    ("admin_viewed_pii", "Admin viewed PII"),
                    ("admin_terminated_session", "Admin terminated a session"),
                    ("consent_granted", "Consent granted"),
                    ("consent_withdrawn", "Consent withdrawn"),
                    ("token_issued", "Token issued"),
                    ("refresh_token_reuse", "Refresh token reused"),
                    ("authorization_code_reuse", "Authorization code reused"),
                    ("token_revoked", "Token revoked"),
                    ("token_exchange_refused", "Token exchange refused"),
                    ("backchannel_logout_delivered", "Back-channel logout delivered"),
                    ("backchannel_logout_failed", "Back-channel logout failed"),
                    ("grant_ended", "Site grant ended"),
                    ("account_disabled", "Account disabled"),
                    ("registration_throttled", "Registration throttled"),
                    ("registration_repeated", "Registration with a taken address"),
                    ("email_verified", "Email address verified"),
                    ("password_reset_requested", "Password reset requested"),
                    ("password_reset", "Password reset"),
                    ("email_change_requested", "Email change requested"),
                    ("email_changed", "Email address changed"),
                    ("name_changed", "Name changed"),
                    ("mail_not_sent", "Mail could not be sent"),
                    ("second_factor_added", "Second factor added"),
                    ("second_factor_removed", "Second factor removed"),
                    ("second_factor_failure", "Wrong second-factor code"),
                    ("recovery_code_used", "Recovery code used"),
                    ("recovery_codes_regenerated", "Recovery codes regenerated"),
                    ("passkey_refused", "Passkey refused"),
                    ("passkey_sign_count_regressed", "Passkey signature counter went back"),
                    ("data_exported", "Account data exported"),
                    ("account_erased", "Account erased"),
                    ("security_event_delivered", "Security event delivered"),
                    ("security_event_failed", "Security event delivery failed"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="ssosession",
            name="end_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("logout", "signed out"),
                    ("signed_out_elsewhere", "signed out from another session"),
                    ("signed_out_everywhere", "signed out everywhere"),
                    ("password_changed", "password changed"),
                    ("account_disabled", "account disabled"),
                    ("admin_terminated", "terminated by an administrator"),
                    ("refresh_token_reuse", "a rotated refresh token was used again"),
                    ("account_erased", "account erased"),
                ],
                max_length=32,
            ),
        ),
        migrations.RemoveConstraint(model_name="logoutdelivery", name="one_logout_per_site_and_session"),
        migrations.RenameModel(old_name="LogoutDelivery", new_name="OutboxMessage"),
        migrations.AlterModelOptions(
            name="outboxmessage",
            options={"verbose_name": "message to a partner site", "verbose_name_plural": "outbox to partner sites"},
        ),
        migrations.RenameIndex(
            model_name="outboxmessage",
            new_name="accounts_ou_status_cefe20_idx",
            old_name="accounts_lo_status_430663_idx",
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="site",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="outbox_messages",
                to="accounts.partnersite",
            ),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="kind",
            field=models.CharField(
                choices=[
                    ("logout", "back-channel logout"),
                    ("account-purged", "account purged (RISC)"),
                    ("account-disabled", "account disabled (RISC)"),
                ],
                default="logout",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="outboxmessage",
            name="jti",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="sid",
            field=models.CharField(blank=True, help_text="The ended session (logouts only).", max_length=64),
        ),
        migrations.AddConstraint(
            model_name="outboxmessage",
            constraint=models.UniqueConstraint(
                condition=models.Q(("kind", "logout")), fields=("site", "sid"), name="one_logout_per_site_and_session"
            ),
        ),
        migrations.CreateModel(
            name="SiteAccount",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("first_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "site",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="accounts.partnersite"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="site_accounts",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("user", "site"), name="one_site_account_per_user_and_site")
                ],
            },
        ),
        migrations.RunPython(backfill_site_accounts, migrations.RunPython.noop),
    ]
