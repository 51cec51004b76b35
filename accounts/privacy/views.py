"""The account's data, downloaded, viewed or erased, after the password is entered again."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.audit import EventType, record_event
from accounts.forms import ConfirmPasswordForm, EraseAccountForm
from accounts.privacy.erasure import ErasureReason, ErasureRefused, erase_account
from accounts.privacy.export import export_for


@never_cache
@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def export_view(request):
    form = ConfirmPasswordForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        readable = request.POST.get("as") == "html"
        data = export_for(request.user)
        record_event(
            EventType.DATA_EXPORTED, user=request.user, request=request, shown_as="html" if readable else "json"
        )
        if readable:
            return render(request, "accounts/export.html", {"data": data})
        response = JsonResponse(data, json_dumps_params={"indent": 2, "ensure_ascii": False})
        response["Content-Disposition"] = 'attachment; filename="my-account-data.json"'
        return response
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/export_request.html", {"form": form}, status=status)


@never_cache
@sensitive_post_parameters("password")
@login_required
@require_http_methods(["GET", "POST"])
def erase_view(request):
    form = EraseAccountForm(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            erase_account(request.user, ErasureReason.OWN_REQUEST, request=request)
        except ErasureRefused:
            form.add_error(
                None, _("This is the only administrator's account: make someone else an administrator first.")
            )
        else:
            logout(request)
            return redirect("accounts:erased")
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/erase.html", {"form": form}, status=status)


@require_http_methods(["GET"])
def erased_view(request):
    return render(request, "accounts/erased.html")
