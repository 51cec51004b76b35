from django.apps import AppConfig


class TokenExchangeConfig(AppConfig):
    """RFC 8693 token exchange: legacy migration, native SSO, audience/delegation."""

    name = "tokenexchange"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # This app builds on accounts, never the reverse: it adds its grant to the
        # token endpoint's table, Native SSO's device secret to every issuance, and
        # its expired device secrets to what `purge` removes.
        from accounts.oauth.grants import register_grant
        from accounts.oauth.issuance import register_issuance_extension
        from accounts.privacy.retention import Rule, register_rule
        from tokenexchange.device_secrets import NATIVE_SSO, expired_device_secrets
        from tokenexchange.profiles import GRANT_TYPE, grant_token_exchange

        register_grant(GRANT_TYPE, grant_token_exchange)
        register_issuance_extension(NATIVE_SSO)
        register_rule(Rule("expired device secrets", expired_device_secrets))
