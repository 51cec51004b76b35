"""Real HTTP servers on loopback, standing in for systems we do not own
(a partner site's back-channel endpoint, a legacy identity provider)."""

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


class LoopbackPeer:
    """Start/stop on a fixed port (so a stopped peer can come back at the same URI)."""

    def __init__(self, port: int):
        self.port = port
        self._server: LoopbackServer | None = None
        self.redirect_to: str | None = None  # answer every POST with 302 to this URL
        self.hits = 0

    def handle_post(self, path: str, headers, form: dict[str, str]) -> tuple[int, dict | None]:
        raise NotImplementedError

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self):
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                peer.hits += 1
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if peer.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", peer.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, body = peer.handle_post(self.path, self.headers, form)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Cache-Control", "no-store")
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # nobody should GET these; counted, so a followed redirect shows
                peer.hits += 1
                self.send_response(405)
                self.send_header("Content-Length", "0")
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


class LogoutReceiver(LoopbackPeer):
    """Accepts back-channel logout POSTs and remembers the logout tokens; acknowledges
    Security Event Tokens pushed to ``event_uri`` (RFC 8935) and counts them."""

    def __init__(self, port: int, status: int = 200):
        super().__init__(port)
        self.status = status
        self.tokens: list[str] = []
        self.security_events = 0

    @property
    def uri(self) -> str:
        return self.url("/backchannel-logout")

    @property
    def event_uri(self) -> str:
        return self.url("/security-events")

    def handle_post(self, path, headers, form):
        if path == "/security-events" and headers.get("Content-Type") == "application/secevent+jwt":
            self.security_events += 1
            return 202, None
        if "logout_token" in form:
            self.tokens.append(form["logout_token"])
        return self.status, None


class LegacyProvider(LoopbackPeer):
    """A legacy identity provider: RFC 7662 introspection and RFC 7009 revocation
    for the refresh tokens it knows, behind HTTP Basic client authentication."""

    issuer = "https://legacy.example"
    client_id, client_secret = "sso-migration", "legacy-client-secret"

    def __init__(self, port: int, delay_seconds: float = 0.0):
        super().__init__(port)
        self.delay_seconds = delay_seconds
        self.tokens: dict[str, dict] = {}
        self.revoked: list[str] = []
        self.introspections = 0

    def add_refresh_token(self, token: str, sub: str, **claims) -> None:
        self.tokens[token] = {
            "active": True,
            "token_type": "refresh_token",
            "sub": sub,
            "iss": self.issuer,
            "client_id": "old-app",
            "scope": "openid email profile",
            "exp": int(time.time()) + 3600,
            **claims,
        }

    def handle_post(self, path, headers, form):
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        expected = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if headers.get("Authorization") != expected:
            return 401, {"error": "invalid_client"}
        token = form.get("token", "")
        if path == "/introspect":
            self.introspections += 1
            known = self.tokens.get(token)
            return 200, (known if known and token not in self.revoked else {"active": False})
        if path == "/revoke":
            self.revoked.append(token)
            return 200, {}
        return 404, {}
