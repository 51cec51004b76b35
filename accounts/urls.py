from django.urls import path

from accounts import factor_views, mail_views, passkey_views, views
from accounts.mail import demo
from accounts.privacy import views as privacy_views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/second-factor/", factor_views.second_factor_view, name="second_factor"),
    path("login/second-factor/passkey/options/", passkey_views.second_factor_options_view, name="passkey_step_options"),
    path("login/second-factor/passkey/", passkey_views.second_factor_view, name="passkey_step"),
    path("login/passkey/options/", passkey_views.sign_in_options_view, name="passkey_sign_in_options"),
    path("login/passkey/", passkey_views.sign_in_view, name="passkey_sign_in"),
    path("logout/", views.logout_view, name="logout"),
    path("signed-out/", views.signed_out_view, name="signed_out"),
    path("register/", views.register_view, name="register"),
    path("account/", views.account_view, name="account"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/two-factor/", factor_views.two_factor_view, name="two_factor"),
    path("account/two-factor/app/", factor_views.authenticator_setup_view, name="authenticator_setup"),
    path("account/two-factor/app/remove/", factor_views.authenticator_remove_view, name="authenticator_remove"),
    path("account/passkeys/options/", passkey_views.register_options_view, name="passkey_register_options"),
    path("account/passkeys/", passkey_views.register_view, name="passkey_register"),
    path("account/passkeys/<int:passkey_id>/remove/", passkey_views.remove_view, name="passkey_remove"),
    path("account/two-factor/recovery-codes/", factor_views.recovery_codes_view, name="recovery_codes"),
    path("account/email/", mail_views.email_change_view, name="email_change"),
    path("account/data/", privacy_views.export_view, name="export"),
    path("account/delete/", privacy_views.erase_view, name="erase"),
    path("account/deleted/", privacy_views.erased_view, name="erased"),
    path("account/name/", mail_views.name_change_view, name="name_change"),
    path("account/verify/", mail_views.resend_verification_view, name="resend_verification"),
    path("password/forgot/", mail_views.password_reset_view, name="password_reset"),
    # Mailed links: /link/<purpose>/<token>/, a shape accounts.mail.redaction keeps out of logs.
    path("link/verify/<str:token>/", mail_views.verify_email_view, name="verify_email"),
    path("link/reset/<str:token>/", mail_views.password_reset_confirm_view, name="password_reset_confirm"),
    path("link/email/<str:token>/", mail_views.email_change_confirm_view, name="email_change_confirm"),
    path("demo/mail/", demo.mailbox, name="demo_mailbox"),
    path("account/sessions/<int:session_id>/end/", views.end_session_view, name="end_session"),
    path("account/sessions/end-all/", views.end_all_sessions_view, name="end_all_sessions"),
    path("account/consents/<int:consent_id>/withdraw/", views.withdraw_consent_view, name="withdraw_consent"),
]
