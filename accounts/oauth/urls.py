from django.urls import path

from accounts.oauth import views

app_name = "oauth"

urlpatterns = [
    path("oauth/authorize/", views.authorize, name="authorize"),
    path("oauth/token/", views.token, name="token"),
    path("oauth/userinfo/", views.userinfo, name="userinfo"),
    path(".well-known/openid-configuration", views.openid_configuration, name="openid-configuration"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
]
