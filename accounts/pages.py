"""What the IdP's pages share: the one page for what went wrong (a readable, translated
title and message, never a traceback), and where a page may send the browser on to."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def error_page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)


def safe_next(request: HttpRequest) -> str:
    """``next`` from the form or the query where it stays on this host, else the account page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("accounts:account")
