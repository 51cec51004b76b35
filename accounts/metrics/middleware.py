"""Counts and times every response by the name of the URL pattern that served it."""

from __future__ import annotations

import time

from django.conf import settings

from accounts.metrics import count_request


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        # A pattern's name, never the path: paths carry codes, ids and whatever a client sends.
        if match:
            endpoint = match.view_name or match.route or "unnamed"
        else:  # answered before URL resolution: a static file (WhiteNoise), or no such page
            endpoint = "static" if request.path.startswith(settings.STATIC_URL) else "unmatched"
        count_request(endpoint, request.method, response.status_code, time.perf_counter() - started)
        return response
