from django.urls import include, path

from marketplace_demo import views
from marketplace_demo.api import MyItemsView
from ui import views as ui_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the switch on every page
    path("", views.catalogue, name="catalogue"),
    path("theme.css", views.theme_css, name="theme"),
    path("favicon.ico", ui_views.favicon),
    path("items/<slug:slug>/", views.item_detail, name="item"),
    path("items/<slug:slug>/install/", views.install, name="install"),
    path("mine/", views.mine, name="mine"),
    path("security/", views.security, name="security"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("signed-out/", views.signed_out, name="signed_out"),
    path("oidc/callback/", views.callback, name="callback"),
    path("oidc/backchannel-logout/", views.backchannel_logout, name="backchannel_logout"),
    path("oidc/security-events/", views.security_events, name="security_events"),
    path("api/my-skills", MyItemsView.as_view(), name="api-my-items"),
]

handler400 = "marketplace_demo.views.bad_request"
handler404 = "marketplace_demo.views.page_not_found"
handler500 = "marketplace_demo.views.server_error"
