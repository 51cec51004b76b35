from django.urls import path

from accounts.oauth import views
from accounts.oauth.token_endpoint import IntrospectionView, RevocationView, TokenView

app_name = "oauth"

urlpatterns = [
    path("oauth/authorize/", views.authorize, name="authorize"),
    path("oauth/token/", TokenView.as_view(), name="token"),
    path("oauth/userinfo/", views.userinfo, name="userinfo"),
    path("oauth/revoke/", RevocationView.as_view(), name="revoke"),
    path("oauth/introspect/", IntrospectionView.as_view(), name="introspect"),
    path("oauth/logout/", views.end_session, name="end_session"),
    path(".well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
