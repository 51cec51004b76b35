"""A small closed-loop HTTP load generator: N clients, each running one scenario in a loop.

Every failed request counts as an error (never dropped); latencies are per
scenario iteration. Runs pinned to its own core so it does not steal the
server's.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit


class RequestFailed(Exception):
    pass


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class HttpClient:
    """One simulated client: its own cookies; a new connection per request
    (gunicorn's sync worker closes every connection anyway)."""

    base: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None, headers: dict | None = None) -> Response:
        parts = urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = urlencode(form).encode() if form is not None else None
        all_headers = {"Host": parts.netloc, **(headers or {})}
        if body is not None:
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=all_headers)
            raw = connection.getresponse()
            data = raw.read()
            for header in raw.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return Response(raw.status, {k.lower(): v for k, v in raw.headers.items()}, data)
        except OSError as error:
            raise RequestFailed(str(error)) from None
        finally:
            connection.close()


@dataclass
class Result:
    name: str
    clients: int
    seconds: float
    iterations: int
    errors: int
    latencies_ms: list[float]
    server_cpu_seconds: float | None = None  # CPU the server's processes used while measured

    def summary(self) -> dict[str, float]:
        lat = sorted(self.latencies_ms) or [0.0]
        figures = {
            "per_s": round(self.iterations / self.seconds, 1),
            "p50_ms": round(statistics.median(lat), 2),
            "p99_ms": round(lat[min(len(lat) - 1, int(len(lat) * 0.99))], 2),
            "errors": self.errors,
            "clients": self.clients,
        }
        if self.server_cpu_seconds is not None and self.iterations:
            figures["server_cpu_pct"] = round(100 * self.server_cpu_seconds / self.seconds, 1)
            figures["cpu_ms_per_request"] = round(1000 * self.server_cpu_seconds / self.iterations, 2)
        return figures


def run(name: str, scenarios: list, warmup: float, duration: float, cpu=None) -> Result:
    """``scenarios``: one callable per client; returns True for success, False or raises for an error.
    ``cpu``: a callable giving the server's CPU seconds so far, read as measuring starts and ends."""
    stop_at = time.monotonic() + warmup + duration
    measure_from = time.monotonic() + warmup
    lock = threading.Lock()
    totals = {"iterations": 0, "errors": 0}
    latencies: list[float] = []

    def worker(scenario):
        while True:
            started = time.monotonic()
            if started >= stop_at:
                return
            try:
                ok = scenario()
            except Exception:  # noqa: BLE001 - any failure is an error, counted
                ok = False
            finished = time.monotonic()
            if started >= measure_from:
                with lock:
                    if ok:
                        totals["iterations"] += 1
                        latencies.append((finished - started) * 1000)
                    else:
                        totals["errors"] += 1

    threads = [threading.Thread(target=worker, args=(s,)) for s in scenarios]
    for thread in threads:
        thread.start()
    used = None
    if cpu is not None:
        time.sleep(max(0.0, measure_from - time.monotonic()))
        used = -cpu()
    for thread in threads:
        thread.join()
    if cpu is not None:
        used += cpu()
    return Result(name, len(scenarios), duration, totals["iterations"], totals["errors"], latencies, used)
