"""``/metrics`` for Prometheus: to the allow-listed networks or the bearer secret only.

Besides the counters of ``accounts.metrics``, each scrape reads from the database
what no single process knows: the outbox messages waiting or given up on, and the
age of every key in the signing ring.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import datetime, timezone

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Count
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from accounts.oauth.keyring import KeyRingError, signing_keyring


def allowed(request) -> bool:
    secret = settings.METRICS_BEARER_TOKEN
    if secret:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].encode(), secret.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


class StateCollector:
    """Gauges read at scrape time from the database, the same on every node."""

    def collect(self):
        outbox = GaugeMetricFamily(
            "sso_outbox_messages",
            "Messages to partner sites not delivered, by kind and status.",
            labels=["kind", "status"],
        )
        key_age = GaugeMetricFamily(
            "sso_signing_key_age_seconds", "Age of each key of the signing ring.", labels=["algorithm", "kid", "state"]
        )
        up = GaugeMetricFamily("sso_state_readable", "1 when this scrape could read the state from the database.")
        try:
            self._outbox(outbox)
            self._keys(key_age)
            up.add_metric([], 1)
        except (DatabaseError, KeyRingError):
            up.add_metric([], 0)
        yield from (outbox, key_age, up)

    @staticmethod
    def _outbox(family: GaugeMetricFamily) -> None:
        from accounts.models import OutboxMessage

        counted = {
            (row["kind"], row["status"]): row["n"]
            for row in OutboxMessage.objects.exclude(status=OutboxMessage.Status.DELIVERED)
            .values("kind", "status")
            .annotate(n=Count("pk"))
        }
        for kind in OutboxMessage.Kind.values:  # every series, zeros included: an alert needs the zero
            for status in (OutboxMessage.Status.PENDING, OutboxMessage.Status.FAILED):
                family.add_metric([kind, status], counted.get((kind, status), 0))

    @staticmethod
    def _keys(family: GaugeMetricFamily) -> None:
        ring = signing_keyring()
        now = datetime.now(timezone.utc)
        current = {key.kid for key in ring.current_by_algorithm.values()}
        published = {key.kid for key in ring.published}
        for key in ring.keys:
            state = "current" if key.kid in current else "published" if key.kid in published else "expired"
            family.add_metric([key.algorithm, key.kid, state], (now - key.created_at).total_seconds())


class _ThisProcess:
    def collect(self):
        return REGISTRY.collect()


def registry() -> CollectorRegistry:
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(scrape)  # every gunicorn worker's counts, live and dead
    else:
        scrape.register(_ThisProcess())
    scrape.register(StateCollector())
    return scrape


@never_cache
@require_safe
def metrics(request):
    if not allowed(request):
        return JsonResponse(
            {"error": "forbidden", "error_description": "Metrics are not served to this client."}, status=403
        )
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
