from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("signed-out/", views.signed_out_view, name="signed_out"),
    path("register/", views.register_view, name="register"),
    path("account/", views.account_view, name="account"),
    path("account/password/", views.password_change_view, name="password_change"),
    path("account/sessions/<int:session_id>/end/", views.end_session_view, name="end_session"),
    path("account/sessions/end-all/", views.end_all_sessions_view, name="end_all_sessions"),
    path("account/consents/<int:consent_id>/withdraw/", views.withdraw_consent_view, name="withdraw_consent"),
]
