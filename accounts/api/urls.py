from django.urls import path

from accounts.api.views import MeView

app_name = "api"

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
]
