from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks, signals  # noqa: F401  (registers checks and receivers)
        from accounts.conf import sso_settings
        from accounts.metrics import connect_signals
        from accounts.oauth import cors  # noqa: F401

        sso_settings()  # a wrong SSO setting stops the start, saying which
        connect_signals()
        # accounts.sign_in writes last_login with the SSO session and its audit event.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
