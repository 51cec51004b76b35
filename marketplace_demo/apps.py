from django.apps import AppConfig


class MarketplaceDemoConfig(AppConfig):
    """A partner site: an OpenID Connect relying party of the identity provider."""

    name = "marketplace_demo"
    default_auto_field = "django.db.models.BigAutoField"
