"""Two IdP nodes behind a real HAProxy, as production runs them.

Each node is gunicorn with sso_project/gunicorn.conf.py and production settings,
in a working folder of its own (no file is shared: the secrets come from the
environment, the signing keys from the database). HAProxy terminates TLS with a
certificate of a CA made here, balances round-robin without stickiness, speaks
the PROXY protocol to the nodes and tells in ``X-Served-By`` which node
answered. It also has one listener pinned to each node, so a test can say
"on this node, then on that one". Both nodes share one PostgreSQL database
(created for the cluster, dropped at the end) and one Redis database.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests

from tests.support.partners import free_port_on

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def make_certificates(folder: Path) -> tuple[Path, Path]:
    """A CA (ca.pem, which the clients trust) and the load balancer's certificate for
    127.0.0.1 signed by it, with its key (lb.pem, as HAProxy reads them)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, lb_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    lb = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(lb_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path, lb_path = folder / "ca.pem", folder / "lb.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    key = lb_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    lb_path.write_bytes(lb.public_bytes(pem) + key)
    lb_path.chmod(0o600)
    return ca_path, lb_path


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@dataclass
class Node:
    name: str
    port: int
    pinned_port: int  # HAProxy's listener that only ever sends to this node
    workdir: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.pinned_port}"


class Cluster:
    def __init__(self, folder: Path, database_url: str, redis_url: str, smtp_port: int, workers: int = 2):
        self.folder, self.database_url, self.redis_url = folder, database_url, redis_url
        self.smtp_port, self.workers = smtp_port, workers
        self.port = free_port_on("127.0.0.1")
        self.nodes = [
            Node(name, free_port_on("127.0.0.1"), free_port_on("127.0.0.1"), folder / f"node-{name}")
            for name in ("a", "b")
        ]
        # One deployment's secrets, handed to every node through its environment.
        self.secrets = {
            name: secrets.token_urlsafe(32)
            for name in (
                "DJANGO_SECRET_KEY",
                "PII_KEY",
                "BLIND_INDEX_KEY",
                "PAIRWISE_SUBJECT_KEY",
                "SIGNING_KEY_ENCRYPTION_KEY",
            )
        }
        self.ca, self.lb_pem = make_certificates(folder)
        self.haproxy: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def node(self, name: str) -> Node:
        return next(node for node in self.nodes if node.name == name)

    # --- processes ---------------------------------------------------------------------

    def env(self, node: Node) -> dict[str, str]:
        inherited = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PII_", "BLIND_", "SSO_", "REDIS_", "DATABASE_", "GUNICORN_", "ADMIN_"))
        }
        node.workdir.mkdir(parents=True, exist_ok=True)
        return {
            **inherited,
            **self.secrets,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "sso_project.settings",
            "DJANGO_DEBUG": "false",  # production settings: secure cookies, no generated keys
            "DJANGO_BEHIND_TLS_PROXY": "true",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "SSO_KEY_DIR": str(node.workdir / "keys"),  # empty: production reads the ring from the database
            "SSO_ISSUER": self.url,
            "SSO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "EMAIL_FROM": "Tessera <no-reply@127.0.0.1>",
            "GUNICORN_BIND": f"127.0.0.1:{node.port}",
            "GUNICORN_WORKERS": str(self.workers),
            "GUNICORN_PROXY_PROTOCOL": "v1",
            "GUNICORN_ACCESS_LOG": str(node.workdir / "access.log"),
            "DJANGO_STATIC_ROOT": str(node.workdir / "static"),
            "PROMETHEUS_MULTIPROC_DIR": str(node.workdir / "metrics"),  # every worker's counts in each scrape
        }

    def manage(self, *args: str, node: str = "a") -> str:
        """``manage.py`` as the operator runs it on ``node``; its stdout."""
        target = self.node(node)
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=target.workdir,
            env=self.env(target),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {args[0]} failed on node {node}: {done.stderr[-2000:]}")
        return done.stdout

    def start_node(self, node: Node) -> None:
        log = open(node.workdir / "gunicorn.log", "ab")  # noqa: SIM115 (the process owns it)
        node.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "sso_project" / "gunicorn.conf.py")],
            cwd=node.workdir,
            env=self.env(node),
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group: kill() takes the workers with the master
        )
        self.wait_until(lambda: self._answers(f"{node.url}/readyz"), f"node {node.name} did not become ready")

    def kill(self, node: Node) -> None:
        """As a crashed machine: SIGKILL to the master and its workers, no shutdown."""
        os.killpg(node.process.pid, signal.SIGKILL)
        node.process.wait(timeout=10)
        # The workers die a moment after their master; until then their listening socket queues connections.
        self.wait_until(lambda: not _group_alive(node.process.pid), f"node {node.name}'s workers outlived SIGKILL", 10)
        node.process = None

    def stop_node(self, node: Node) -> None:
        if node.process is not None:
            os.killpg(node.process.pid, signal.SIGTERM)
            try:
                node.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(node.process.pid, signal.SIGKILL)
            node.process = None

    def haproxy_config(self) -> str:
        check = "check inter 500ms fall 2 rise 1 send-proxy check-send-proxy"
        # The node believes X-Forwarded-Proto from here alone; the request id ties its log lines together.
        headers = (
            "  http-request set-header X-Forwarded-Proto https\n  http-request set-header X-Request-ID %[uuid()]\n"
        )
        servers = "\n".join(f"  server {n.name} 127.0.0.1:{n.port} {check}" for n in self.nodes)
        pinned = "".join(
            f"""
frontend pinned_{n.name}
  bind 127.0.0.1:{n.pinned_port} ssl crt {self.lb_pem}
{headers}  default_backend only_{n.name}

backend only_{n.name}
  http-response set-header X-Served-By %s
  server {n.name} 127.0.0.1:{n.port} {check}
"""
            for n in self.nodes
        )
        return f"""global
  maxconn 512
  log stdout format raw local0

defaults
  mode http
  log global
  option httplog
  # The nodes close each connection after one response (gunicorn's sync workers): so does
  # HAProxy, or a node dying holds a half-closed connection whose reset drops the client's.
  option http-server-close
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout check 2s
  # A connection refused by a dead node is tried again, on the other node.
  retries 3
  option redispatch 1
  option httpchk
  http-check send meth GET uri /healthz ver HTTP/1.1 hdr Host 127.0.0.1
  http-check expect status 200

frontend idp
  bind 127.0.0.1:{self.port} ssl crt {self.lb_pem}
{headers}  default_backend nodes

backend nodes
  balance roundrobin
  http-response set-header X-Served-By %s
{servers}
{pinned}"""

    def start(self) -> "Cluster":
        self.folder.mkdir(parents=True, exist_ok=True)
        self._create_database()
        self.manage("migrate", "--noinput", "-v0")
        self.manage("rotate_signing_key", "--algorithm", "RS256")  # the ring's first key, as an operator makes it
        config = self.folder / "haproxy.cfg"
        config.write_text(self.haproxy_config())
        self.haproxy = subprocess.Popen(
            [HAPROXY, "-f", str(config), "-db"],
            stdout=open(self.folder / "haproxy.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        for node in self.nodes:
            self.manage("collectstatic", "--noinput", "-v0", node=node.name)  # each node its own copy, as deployed
            self.start_node(node)
        self.wait_until(lambda: self._answers(f"{self.url}/readyz"), "HAProxy did not pass requests on")
        return self

    def stop(self) -> None:
        for node in self.nodes:
            self.stop_node(node)
        if self.haproxy is not None:
            self.haproxy.terminate()
            self.haproxy.wait(timeout=10)
        self._drop_database()

    # --- the shared database -------------------------------------------------------------

    def _admin_connection(self):
        parts = urlsplit(self.database_url)
        return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    def _create_database(self) -> None:
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.database_name}"')

    def _drop_database(self) -> None:
        with self._admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    # --- clients -----------------------------------------------------------------------

    def client(self) -> requests.Session:
        session = requests.Session()
        # Not the environment's: its REQUESTS_CA_BUNDLE would override the session's CA, its proxies the loopback.
        session.trust_env = False
        session.verify = str(self.ca)
        return session

    def _answers(self, url: str) -> bool:
        try:
            return self.client().get(url, timeout=2).status_code == 200
        except requests.RequestException:
            return False

    @staticmethod
    def wait_until(condition, failure: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise RuntimeError(failure)

    def sign_in(self, session: requests.Session, email: str, password: str, base: str | None = None):
        """The login form as a browser posts it; the response (a redirect when signed in)."""
        base = base or self.url
        form = session.get(f"{base}/login/", timeout=10)
        token = CSRF_FIELD.search(form.text).group(1)
        return session.post(
            f"{base}/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{base}/login/", "Origin": base},
            allow_redirects=False,
            timeout=10,
        )
