from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from accounts import health
from accounts import views as account_views
from accounts.metrics import endpoint as metrics_endpoint
from ui import views as ui_views

admin.site.site_header = f"{settings.SSO_BRAND_NAME}: user audit"
admin.site.site_title = f"{settings.SSO_BRAND_NAME} admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics_endpoint.metrics, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the switch on every page
    path("", account_views.home, name="home"),
    path("theme.css", account_views.theme, name="theme"),
    path("favicon.ico", ui_views.favicon),
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
