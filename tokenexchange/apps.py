from django.apps import AppConfig


class TokenExchangeConfig(AppConfig):
    """RFC 8693 token exchange; filled in by the token-exchange issue."""

    name = "tokenexchange"
    default_auto_field = "django.db.models.BigAutoField"
