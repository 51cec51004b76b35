from django.urls import path

from accounts.api.views import MeView, MyDataView

app_name = "api"

urlpatterns = [
    path("me", MeView.as_view(), name="me"),
    path("me/data", MyDataView.as_view(), name="my-data"),
]
