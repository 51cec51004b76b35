"""A real HTTP server on loopback, standing in for a partner site we do not own."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class LoopbackServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # socketserver's default of 5 refuses bursts of parallel clients


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LogoutReceiver:
    """Accepts back-channel logout POSTs and remembers the logout tokens."""

    def __init__(self, port: int, status: int = 200):
        self.port, self.status = port, status
        self.tokens: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/backchannel-logout"

    def start(self) -> "LogoutReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = parse_qs(self.rfile.read(length).decode())
                receiver.tokens.extend(form.get("logout_token", []))
                self.send_response(receiver.status)
                self.send_header("Cache-Control", "no-store")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = LoopbackServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class LegacyProvider:
    """A legacy identity provider: RFC 7662 introspection and RFC 7009 revocation
    for the refresh tokens it knows, behind HTTP Basic client authentication."""

    issuer = "https://legacy.example"
    client_id, client_secret = "sso-migration", "legacy-client-secret"

    def __init__(self, port: int, delay_seconds: float = 0.0):
        self.port, self.delay_seconds = port, delay_seconds
        self.tokens: dict[str, dict] = {}
        self.revoked: list[str] = []
        self.introspections = 0
        self._server: ThreadingHTTPServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add_refresh_token(self, token: str, sub: str, **claims) -> None:
        self.tokens[token] = {"active": True, "token_type": "refresh_token", "sub": sub, "iss": self.issuer,
                              "client_id": "old-app", "exp": int(time.time()) + 3600, **claims}

    def start(self) -> "LegacyProvider":
        provider = self
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if provider.delay_seconds:
                    time.sleep(provider.delay_seconds)
                if self.headers.get("Authorization") != expected:
                    return self._json(401, {"error": "invalid_client"})
                token = form.get("token", "")
                if self.path == "/introspect":
                    provider.introspections += 1
                    known = provider.tokens.get(token)
                    return self._json(200, known if known and token not in provider.revoked else {"active": False})
                if self.path == "/revoke":
                    provider.revoked.append(token)
                    return self._json(200, {})
                return self._json(404, {})

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = LoopbackServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
