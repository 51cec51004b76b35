"""The IdP's one page for what went wrong: a readable, translated title and message, never a traceback."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def error_page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    return render(request, "error.html", {"title": title, "message": message}, status=status)
