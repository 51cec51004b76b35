"""The endpoints a client calls with its own credentials (token, revocation, introspection)
get a Django handler of their own, with ``settings.CLIENT_ENDPOINT_MIDDLEWARE``.

Every request of a partner site's back end to the token endpoint went through the page
middleware too: sessions, language, CSRF, messages, the lock-out: a fifth of a refresh's
time, for nothing those endpoints use (they read no cookie and answer JSON in English).
The handler is Django's own; only the list it loads differs, and the URL resolution,
the views and every check inside them are the same. docs/performance.md has the figures.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.urls import reverse

CLIENT_ENDPOINTS = ("oauth:token", "oauth:revoke", "oauth:introspect")


class ClientEndpointHandler(WSGIHandler):
    def load_middleware(self, is_async=False):
        # Django's loader reads settings.MIDDLEWARE: this handler's list, for the time it loads.
        pages = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.CLIENT_ENDPOINT_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = pages


def by_path(pages, client_endpoints):
    """One WSGI application: the client endpoints' exact paths to their handler, the rest to ``pages``."""
    paths = frozenset(reverse(name) for name in CLIENT_ENDPOINTS)

    def application(environ, start_response):
        handler = client_endpoints if environ.get("PATH_INFO") in paths else pages
        return handler(environ, start_response)

    application.client_endpoint_paths = paths
    return application
