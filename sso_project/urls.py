from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import views as account_views

admin.site.site_header = "SSO identity provider: user audit"
admin.site.site_title = "SSO admin"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include("accounts.urls")),
    path("", include("accounts.oauth.urls")),
    # The console has no sign-in or sign-out of its own: the IdP's pages end SSO sessions properly.
    path("admin/login/", account_views.admin_login),
    path("admin/logout/", account_views.logout_view),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
]

handler400 = "accounts.views.bad_request"
handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
