from django.urls import path

from accounts.oauth import views

app_name = "oauth"

urlpatterns = [
    path("oauth/authorize/", views.authorize, name="authorize"),
    path("oauth/token/", views.token, name="token"),
    path("oauth/userinfo/", views.userinfo, name="userinfo"),
    path("oauth/revoke/", views.revoke, name="revoke"),
    path("oauth/introspect/", views.introspect, name="introspect"),
    path("oauth/logout/", views.end_session, name="end_session"),
    path(".well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
