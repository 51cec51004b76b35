from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts import checks, signals  # noqa: F401  (registers checks and receivers)
        from accounts.conf import sso_settings
        from accounts.oauth import cors  # noqa: F401

        sso_settings()  # a wrong SSO setting stops the start, saying which
