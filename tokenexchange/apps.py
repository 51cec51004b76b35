from django.apps import AppConfig


class TokenExchangeConfig(AppConfig):
    """RFC 8693 token exchange: legacy migration, native SSO, audience/delegation."""

    name = "tokenexchange"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tokenexchange import device_secrets  # noqa: F401  (connects the session-ended receiver)
