#!/usr/bin/env python
"""`make bench`: the identity provider's throughput per server core.

The server under test is gunicorn with one sync worker pinned to CPU 0 on
PostgreSQL (and Redis when REDIS_URL is set) with production settings; this
load generator pins itself to CPU 1. Each figure: a warm-up, then a fixed
duration; requests/s, p50, p99 and errors. The figures take turns in slices
(refresh, the simplejwt baseline, login, the Argon2id verification rate, silent
SSO, native SSO, then again), so that each samples the whole run and compared
figures see the same drift. Results go to
bench/results/latest.json and a table on stdout. Numbers, never pass/fail.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import balancer, load  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PG = "postgres://postgres@127.0.0.1:5432"
KEYS = ROOT / "bench" / ".keys"
RESULTS = ROOT / "bench" / "results"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
USE_REDIS = False


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-c", sql], check=True)


def analyze(database: str) -> None:
    """Planner statistics, as autovacuum keeps them on any database in service: a
    database created seconds ago has none, and its plans (sequential scans of
    growing token tables) would measure the bench's set-up, not the server."""
    psql("ANALYZE", database)


REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")
# A baseline server (--baseline) gets a Redis database of its own: the two must not share cached registrations.
BASELINE_REDIS_URL = os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/6")


def redis_available() -> bool:
    """Production runs with Redis (sessions, lock-out counters, deny-list): so does the bench, when it is there."""
    import redis

    try:
        for url in (REDIS_URL, BASELINE_REDIS_URL):
            # The bench's own databases: counters of an earlier run must not lock anyone out.
            redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
        return True
    except redis.RedisError:
        return False


def server_env(database: str, port: int, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PII_", "BLIND_", "SSO_", "REDIS_"))}
    if USE_REDIS:
        env["REDIS_URL"] = REDIS_URL
    return {
        **env,
        "DATABASE_URL": f"{PG}/{database}",
        "SSO_KEY_DIR": str(KEYS),
        "DJANGO_DEBUG": "false",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SSO_ISSUER": f"http://127.0.0.1:{port}",
        "SSO_LOG_LEVEL": "WARNING",
        # Production will not start without a mail server; nothing the bench does sends mail.
        "EMAIL_URL": "smtp://127.0.0.1:2525",
        "EMAIL_FROM": "Bench <no-reply@127.0.0.1>",
        **extra,
    }


def prepare_keys() -> None:
    """Production refuses to generate keys: make them once, as development would."""
    env = {
        **os.environ,
        "SSO_KEY_DIR": str(KEYS),
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "sqlite:////tmp/bench-keys.sqlite3",
    }
    subprocess.run([sys.executable, "manage.py", "check", "-v0"], cwd=ROOT, env=env, check=True)


def start_gunicorn(
    env: dict,
    port: int,
    wsgi: str = "sso_project.wsgi:application",
    root: Path = ROOT,
    cpus: str = "0",
    workers: int = 1,
    threads: int = 1,
) -> subprocess.Popen:
    """gunicorn pinned to ``cpus``: sync workers, or gthread ones when ``threads`` > 1. What it
    logs (a line for every refused request among them) goes to bench/results/server-PORT.log."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / f"server-{port}.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                "taskset",
                "-c",
                cpus,
                str(VENV_BIN / "gunicorn"),
                "--workers",
                str(workers),
                "--worker-class",
                "gthread" if threads > 1 else "sync",
                "--threads",
                str(threads),
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "--no-control-socket",  # gunicorn's control socket lives in $HOME: one per machine, not per server
                wsgi,
            ],
            cwd=root,
            env=env,
            stderr=stderr,
        )
    wait_for(f"http://127.0.0.1:{port}", process, log)
    return process


def wait_for(base: str, process: subprocess.Popen, log: Path | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            load.HttpClient(base).request("GET", "/.well-known/openid-configuration")
            return
        except load.RequestFailed:
            time.sleep(0.3)
    process.kill()
    said = "\n".join(log.read_text().splitlines()[-30:]) + "\n" if log is not None else ""
    raise SystemExit(f"{said}the server at {base} did not start")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def children(master: subprocess.Popen) -> list[str]:
    return subprocess.run(["pgrep", "-P", str(master.pid)], capture_output=True, text=True).stdout.split()


def worker_rss_mb(master: subprocess.Popen) -> float:
    status = Path(f"/proc/{children(master)[0]}/status").read_text()
    return round(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024, 1)


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(*masters: subprocess.Popen):
    """CPU seconds used so far by these servers' masters and workers (user + system, /proc)."""
    pids = [str(master.pid) for master in masters] + [pid for master in masters for pid in children(master)]

    def used() -> float:
        ticks = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime and stime, fields 14 and 15 of stat(5)
        return ticks / CLOCK_TICKS

    return used


# --- scenarios ------------------------------------------------------------------------------


def login_scenario(base: str, seeded: dict, index: int):
    emails = [f"user{(index * 997 + i) % max(seeded['users'], 1)}@bench.example" for i in range(64)]
    counter = iter(range(10**9))

    def scenario() -> bool:
        client = load.HttpClient(base)
        page = client.request("GET", "/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
        email = emails[next(counter) % len(emails)]
        response = client.request(
            "POST",
            "/login/",
            {"email": email, "password": seeded["password"], "csrfmiddlewaretoken": token},
            headers={"Referer": base + "/login/"},
        )
        return response.status == 302

    return scenario


def refresh_scenario(base: str, seeded: dict, refresh_token: str, path: str = "/oauth/token/"):
    """A token endpoint (ours, or the peer's at ``path``): a chain of rotations, client_secret_basic."""
    basic = base64.b64encode(f"bench-web:{seeded['secret']}".encode()).decode()
    return _rotating(
        base,
        path,
        refresh_token,
        {"Authorization": f"Basic {basic}"},
        lambda token: {"grant_type": "refresh_token", "refresh_token": token},
        "refresh_token",
    )


def token_post(base: str, client_id: str, secret: str, form: dict, answered=lambda response: response.status == 200):
    """One client posting ``form`` to the token endpoint with client_secret_basic, again and again."""
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()

    def scenario() -> bool:
        response = load.HttpClient(base).request(
            "POST", "/oauth/token/", form, headers={"Authorization": f"Basic {basic}"}
        )
        return answered(response)

    return scenario


def refusal_scenario(base: str, seeded: dict):
    """The token endpoint's floor: the client authenticates and asks for a grant type that
    does not exist. The middleware, DRF, the body's parsing, client authentication, an RFC 6749
    error and its log line, but no statement and no signature."""
    # A body as long as a refresh's, with no token of any chain in it.
    form = {"grant_type": "urn:bench:no-such-grant", "refresh_token": "x" * len(seeded["refresh_tokens"][0])}
    return token_post(
        base,
        "bench-web",
        seeded["secret"],
        form,
        lambda response: response.status == 400 and json.loads(response.body)["error"] == "unsupported_grant_type",
    )


def bare_scenario(base: str, seeded: dict, refresh_token: str):
    """The refresh request, to bench/bare_wsgi.py: the same bytes in, a fixed answer out."""
    form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    return token_post(base, "bench-web", seeded["secret"], form)


def vanilla_refresh_scenario(base: str, refresh_token: str):
    """simplejwt's TokenRefreshView: same chain of rotations, its own field names."""
    return _rotating(base, "/api/token/refresh/", refresh_token, {}, lambda token: {"refresh": token}, "refresh")


def _rotating(base: str, path: str, refresh_token: str, headers: dict, form_for, returned_field: str):
    state = {"token": refresh_token}

    def scenario() -> bool:
        response = load.HttpClient(base).request("POST", path, form_for(state["token"]), headers=headers)
        if response.status != 200:
            return False
        state["token"] = json.loads(response.body)[returned_field]
        return True

    return scenario


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def signed_in_client(base: str, email: str, password: str) -> load.HttpClient:
    client = load.HttpClient(base)
    page = client.request("GET", "/login/")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1).decode()
    response = client.request(
        "POST",
        "/login/",
        {"email": email, "password": password, "csrfmiddlewaretoken": token},
        headers={"Referer": base + "/login/"},
    )
    if response.status != 302:
        raise SystemExit(f"bench login failed: HTTP {response.status}")
    return client


def code_flow(
    base: str,
    client: load.HttpClient,
    client_id: str,
    secret: str,
    scope: str,
    paths: tuple[str, str] = ("/oauth/authorize/", "/oauth/token/"),
    redirect_uri: str | None = None,
) -> dict | None:
    """An authorization request answered with a code at once (a live session, consent given
    before), the code redeemed with PKCE: silent SSO. ``paths``: the authorization and token
    endpoints (another provider's for the peer)."""
    verifier, challenge = pkce()
    redirect_uri = redirect_uri or f"{base}/{client_id}/cb"
    response = client.request(
        "GET",
        paths[0]
        + "?"
        + "&".join(
            f"{k}={v}"
            for k, v in {
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": scope.replace(" ", "+"),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "state": "s",
            }.items()
        ),
    )
    if response.status not in (302, 303):
        return None
    code = parse_qs(urlsplit(response.headers["location"]).query).get("code", [""])[0]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    token = load.HttpClient(base).request(
        "POST",
        paths[1],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
        headers={"Authorization": f"Basic {basic}"},
    )
    return json.loads(token.body) if token.status == 200 else None


def silent_sso_scenario(base: str, seeded: dict, index: int):
    client = signed_in_client(base, f"user{index}@bench.example", seeded["password"])
    return lambda: code_flow(base, client, "bench-web", seeded["secret"], "openid email") is not None


def node_silent_sso_scenario(base: str, secret: str, session: str):
    """silent_sso_per_s at the peer: its signed-in session's cookie, its endpoints, its client."""
    client = load.HttpClient(base, cookies={"_session": session})
    paths, redirect_uri = ("/auth", "/token"), "https://bench.example/cb"
    return lambda: code_flow(base, client, "bench-web", secret, "openid email", paths, redirect_uri) is not None


def native_sso_scenario(base: str, seeded: dict, index: int):
    client = signed_in_client(base, f"user{index}@bench.example", seeded["password"])
    first = code_flow(base, client, "bench-app-1", seeded["secret"], "openid device_sso")
    form = {
        "grant_type": TOKEN_EXCHANGE,
        "audience": base,
        "scope": "openid",
        "subject_token": first["id_token"],
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
        "actor_token": first["device_secret"],
        "actor_token_type": "urn:openid:params:token-type:device-secret",
    }
    return token_post(base, "bench-app-2", seeded["secret"], form)


# --- the run --------------------------------------------------------------------------------


def seed(env: dict, scale: int, refresh_clients: int, base: str, root: Path = ROOT) -> dict:
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=root, env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-m", "bench.seed", str(scale), str(refresh_clients), base],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out)


IDP_PORT, VANILLA_PORT, BASELINE_PORT, BARE_PORT = 18000, 18001, 18002, 18003
SLICES = 3  # the figures take turns in this many slices each (see alternate)
REWARM = 0.5  # seconds of warm-up before each later slice


def start_idp(
    args, root: Path = ROOT, port: int = IDP_PORT, database: str = "sso_bench", redis_url: str = REDIS_URL
) -> tuple[subprocess.Popen, str, dict, dict]:
    base = f"http://127.0.0.1:{port}"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database}")
    env = server_env(database, port, **({"REDIS_URL": redis_url} if USE_REDIS else {}))
    seeded = seed(env, args.scale, args.clients * CHAINS, base, root)
    analyze(database)
    return start_gunicorn(env, port, root=root), base, seeded, env


@contextmanager
def baseline_checkout(revision: str):
    """The code of ``revision`` in a worktree of its own, for a server beside ours."""
    path = Path(tempfile.mkdtemp(prefix="sso-bench-baseline-"))
    subprocess.run(["git", "worktree", "add", "-q", "--force", "--detach", str(path), revision], cwd=ROOT, check=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)


def chain(seeded: dict, clients: int, number: int) -> list[str]:
    """The ``number``-th set of refresh chains: no two figures rotate the same token (a reuse
    would end the session, as it should)."""
    return seeded["refresh_tokens"][number * clients : (number + 1) * clients]


def measured(name: str, scenarios: list, cpu):
    return lambda warmup, seconds: load.run(name, scenarios, warmup, seconds, cpu)


def idp_measures(args, server, base: str, seeded: dict, env: dict, wanted, suffix: str = "") -> dict:
    """The IdP's figures, named with ``suffix`` (a baseline's revision) when given."""
    measures = {}
    cpu = server_cpu(server)
    if wanted("refresh_per_s"):
        ours = [refresh_scenario(base, seeded, token) for token in chain(seeded, args.clients, 0)]
        measures["refresh_per_s"] = measured("refresh", ours, cpu)
    if wanted("token_refusal_per_s"):
        refusals = [refusal_scenario(base, seeded) for _ in range(args.clients)]
        measures["token_refusal_per_s"] = measured("refusal", refusals, cpu)
    if wanted("login_per_s"):
        logins = [login_scenario(base, seeded, i) for i in range(4)]
        measures["login_per_s"] = measured("login", logins, cpu)
        if not suffix:
            measures["argon2_verify_per_s"] = argon2_slice(env)
    # Their clients sign in first, before anything is measured.
    if wanted("silent_sso_per_s"):
        silent = [silent_sso_scenario(base, seeded, i) for i in range(args.clients)]
        measures["silent_sso_per_s"] = measured("silent", silent, cpu)
    if wanted("native_sso_exchange_per_s"):
        native = [native_sso_scenario(base, seeded, i) for i in range(args.clients)]
        measures["native_sso_exchange_per_s"] = measured("native", native, cpu)
    return {name + suffix: measure for name, measure in measures.items()}


# Refresh on other set-ups of the same code and database, each on chains of its own: more
# workers or threads on CPU 0, then HAProxy in front of the node on CPU 0 alone, and in front
# of it and a second node on CPU 1.
WORKER_CONFIGURATIONS = {
    "refresh_2_sync_workers_per_s": {"workers": 2},
    "refresh_3_sync_workers_per_s": {"workers": 3},
    "refresh_gthread_4_threads_per_s": {"threads": 4},
}
BALANCED = ("refresh_lb_1_node_per_s", "refresh_lb_2_nodes_per_s")
CHAINS = 1 + len(WORKER_CONFIGURATIONS) + len(BALANCED)
FIRST_EXTRA_PORT = 18010


def deployment_measures(args, servers: ExitStack, idp, seeded: dict, env: dict, wanted) -> dict:
    measures, ports, number = {}, iter(range(FIRST_EXTRA_PORT, FIRST_EXTRA_PORT + 20)), iter(range(1, CHAINS))
    for name, options in WORKER_CONFIGURATIONS.items():
        tokens = chain(seeded, args.clients, next(number))
        if not wanted(name):
            continue
        port = next(ports)
        server = start_gunicorn(env, port, **options)
        servers.callback(stop, server)
        scenarios = [refresh_scenario(f"http://127.0.0.1:{port}", seeded, token) for token in tokens]
        measures[name] = measured(name, scenarios, server_cpu(server))
    if not any(wanted(name) for name in BALANCED):
        return measures
    if balancer.haproxy() is None:
        print("skipping the figures behind a load balancer: HAProxy is not installed (apt install haproxy)")
        return measures
    second_port, one, two = next(ports), next(ports), next(ports)
    second = start_gunicorn(env, second_port, cpus="1")  # beside the load generator: the only other core
    servers.callback(stop, second)
    folder = Path(tempfile.mkdtemp(prefix="sso-bench-lb-"))
    lb = balancer.start(folder, {one: [IDP_PORT], two: [IDP_PORT, second_port]}, cpus="1")
    servers.callback(stop, lb)
    for name, port, nodes in ((BALANCED[0], one, (idp,)), (BALANCED[1], two, (idp, second))):
        scenarios = [
            refresh_scenario(f"http://127.0.0.1:{port}", seeded, token)
            for token in chain(seeded, args.clients, next(number))
        ]
        if wanted(name):
            measures[name] = measured(name, scenarios, server_cpu(*nodes))
    return measures


NODE_PEER = ROOT / "bench" / "node_oidc_provider"
NODE_PORT = 18030
NODE_FIGURES = ("node_oidc_provider_refresh_per_s", "node_oidc_provider_silent_sso_per_s")
# The refresh figures of a server on CPU 0 alone, each compared with the peer of the same run.
ONE_CORE_REFRESH = ("refresh_per_s", *WORKER_CONFIGURATIONS)
# Each figure of ours on CPU 0 alone, and the peer's figure of the same grant.
PEER_FIGURE_OF = {**dict.fromkeys(ONE_CORE_REFRESH, NODE_FIGURES[0]), "silent_sso_per_s": NODE_FIGURES[1]}


def start_node_peer(args) -> tuple[subprocess.Popen, str, list[str], list[str], str] | None:
    """node-oidc-provider on PostgreSQL (bench/node_oidc_provider), pinned to CPU 0 as ours is."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        print("skipping node-oidc-provider: Node.js and npm are not installed", flush=True)
        return None
    lock = NODE_PEER / "package-lock.json"
    stamp = NODE_PEER / "node_modules" / ".installed"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_PEER, check=True)
        stamp.touch()
    database = "sso_bench_node"
    psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql(f"CREATE DATABASE {database}")
    secret = secrets.token_urlsafe(32)
    env = {
        **os.environ,
        "NODE_ENV": "production",
        "PORT": str(NODE_PORT),
        "DATABASE_URL": f"{PG}/{database}",
        "CLIENT_SECRET": secret,
        "SEED": str(args.clients),
    }
    process = subprocess.Popen(
        ["taskset", "-c", "0", node, "server.js"], cwd=NODE_PEER, env=env, stdout=subprocess.PIPE, text=True
    )
    line = process.stdout.readline()  # written once it listens, with the seeded refresh tokens
    if not line:
        process.kill()
        raise SystemExit("node-oidc-provider did not start")
    seeded = json.loads(line)
    return process, f"http://127.0.0.1:{NODE_PORT}", seeded["refresh_tokens"], seeded["sessions"], secret


def start_vanilla(args) -> tuple[subprocess.Popen, str, list[str]]:
    """The plain simplejwt TokenRefreshView (bench/vanilla_settings.py), RS256, same set-up."""
    database = "sso_bench_vanilla"
    psql(f"DROP DATABASE IF EXISTS {database}")
    psql(f"CREATE DATABASE {database}")
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    (KEYS / "vanilla-private.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    (KEYS / "vanilla-public.pem").write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.vanilla_settings",
        "DATABASE_URL": f"{PG}/{database}",
        "VANILLA_SECRET_KEY": secrets.token_urlsafe(48),
        "VANILLA_PRIVATE_KEY": str(KEYS / "vanilla-private.pem"),
        "VANILLA_PUBLIC_KEY": str(KEYS / "vanilla-public.pem"),
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    tokens = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bench.vanilla_seed", str(args.clients)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )["refresh_tokens"]
    analyze(database)
    vanilla = start_gunicorn(env, VANILLA_PORT, wsgi="bench.vanilla_wsgi:application")
    return vanilla, f"http://127.0.0.1:{VANILLA_PORT}", tokens


def alternate(measures: dict, warmup: float, duration: float) -> dict[str, load.Result]:
    """Run the measures in turn, SLICES times, each slice a SLICES-th of
    ``duration``, and merge each one's slices. This machine's speed drifts by a
    third within minutes: taken in turns, every figure samples the whole run,
    and a figure and the figure it is compared with see the same drift. The
    first slice of each warms up for ``warmup``, the later ones for REWARM (the
    other figures ran meanwhile: their data, not this one's, is in the caches)."""
    parts: dict[str, list[load.Result]] = {name: [] for name in measures}
    for index in range(SLICES):
        for name, measure in measures.items():
            parts[name].append(measure(warmup if index == 0 else REWARM, duration / SLICES))
    return {
        name: load.Result(
            name,
            results[0].clients,
            sum(r.seconds for r in results),
            sum(r.iterations for r in results),
            sum(r.errors for r in results),
            [ms for r in results for ms in r.latencies_ms],
            None if any(r.server_cpu_seconds is None for r in results) else sum(r.server_cpu_seconds for r in results),
        )
        for name, results in parts.items()
    }


def argon2_slice(env: dict):
    """One slice of the hash's limit, in a process of its own pinned to the server's core."""

    def measure(warmup: float, seconds: float) -> load.Result:
        out = subprocess.run(
            ["taskset", "-c", "0", sys.executable, "-m", "bench.inprocess", "argon2", str(seconds)],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        counted = json.loads(out)
        return load.Result("argon2_verify_per_s", 1, counted["seconds"], counted["count"], 0, [])

    return measure


def record(results: dict, measured: dict[str, load.Result]) -> None:
    for name, result in measured.items():
        if result.latencies_ms:
            results[name] = result.summary()
        else:  # an in-process rate
            results[name] = round(result.iterations / result.seconds, 1)
        print(f"{name}: {results[name]}", flush=True)


def measure_servers(args, results: dict) -> None:
    wanted = lambda name: not args.only or name in args.only  # noqa: E731
    with ExitStack() as servers:  # every server started stops, whichever fails to start
        idp, base, seeded, env = start_idp(args)
        servers.callback(stop, idp)
        results["users"], results["seed_seconds"] = seeded["users"], seeded["seed_seconds"]
        measures = idp_measures(args, idp, base, seeded, env, wanted)
        if wanted("vanilla_simplejwt_refresh_per_s"):
            vanilla, vanilla_base, tokens = start_vanilla(args)
            servers.callback(stop, vanilla)
            theirs = [vanilla_refresh_scenario(vanilla_base, token) for token in tokens]
            measures["vanilla_simplejwt_refresh_per_s"] = measured("vanilla", theirs, server_cpu(vanilla))
        if wanted("bare_wsgi_per_s"):
            bare = start_gunicorn(env, BARE_PORT, wsgi="bench.bare_wsgi:application")
            servers.callback(stop, bare)
            plain = [
                bare_scenario(f"http://127.0.0.1:{BARE_PORT}", seeded, token)
                for token in chain(seeded, args.clients, 0)
            ]
            measures["bare_wsgi_per_s"] = measured("bare", plain, server_cpu(bare))
        measures.update(deployment_measures(args, servers, idp, seeded, env, wanted))
        peer = start_node_peer(args) if any(wanted(name) for name in NODE_FIGURES) else None
        if peer is not None:
            process, peer_base, peer_tokens, peer_sessions, peer_secret = peer
            servers.callback(stop, process)
            if wanted(NODE_FIGURES[0]):
                theirs = [
                    refresh_scenario(peer_base, {"secret": peer_secret}, token, "/token") for token in peer_tokens
                ]
                measures[NODE_FIGURES[0]] = measured("node-oidc-provider", theirs, server_cpu(process))
            if wanted(NODE_FIGURES[1]):
                silent = [node_silent_sso_scenario(peer_base, peer_secret, session) for session in peer_sessions]
                measures[NODE_FIGURES[1]] = measured("node-oidc-provider silent", silent, server_cpu(process))
        if args.baseline:
            # Another revision's server on the same core, measured in turn with ours:
            # the one comparison this machine's drift does not spoil.
            root = servers.enter_context(baseline_checkout(args.baseline))
            other, other_base, other_seeded, other_env = start_idp(
                args, root, BASELINE_PORT, "sso_bench_baseline", BASELINE_REDIS_URL
            )
            servers.callback(stop, other)
            results["baseline"] = args.baseline
            measures.update(idp_measures(args, other, other_base, other_seeded, other_env, wanted, f"@{args.baseline}"))
        record(results, alternate(measures, args.warmup, args.duration))
        compare_with_peer(results)
        if "refresh_per_s" in measures:
            results["rss_mb"] = worker_rss_mb(idp)


def compare_with_peer(results: dict) -> None:
    """Grants per core against node-oidc-provider's in the same run: requests per second (the
    server has CPU 0 alone) and CPU per request (what it would be on a busy core)."""
    ratios = {}
    for name, peer_name in PEER_FIGURE_OF.items():
        ours, peer = results.get(name), results.get(peer_name)
        if all(isinstance(f, dict) and f.get("per_s") and f.get("cpu_ms_per_request") for f in (ours, peer)):
            ratios[name] = {
                "per_s": round(ours["per_s"] / peer["per_s"], 2),
                "per_cpu_second": round(peer["cpu_ms_per_request"] / ours["cpu_ms_per_request"], 2),
            }
    if ratios:
        results["ratio_to_node_oidc_provider"] = ratios
        print(f"ratio_to_node_oidc_provider: {ratios}", flush=True)


def measure_in_process(args, results: dict) -> None:
    env = server_env("sso_bench", IDP_PORT)
    out = subprocess.run(
        ["taskset", "-c", "0", sys.executable, "-m", "bench.inprocess", str(args.duration)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    figures = json.loads(out)
    results.update(figures)
    print(f"in process: {figures}", flush=True)


def table(results: dict) -> str:
    lines = [
        "| figure | per s | p50 ms | p99 ms | errors | server CPU % | CPU ms a request |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, value in results.items():
        if isinstance(value, dict) and "per_s" in value:
            cpu = f"{value.get('server_cpu_pct', '')} | {value.get('cpu_ms_per_request', '')}"
            lines.append(
                f"| {name} | {value['per_s']} | {value['p50_ms']} | {value['p99_ms']} | {value['errors']} | {cpu} |"
            )
        elif name.endswith(("_per_s", "_mb", "_seconds")) or name == "users" or name == "baseline":
            lines.append(f"| {name} | {value} | | | | | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=int(os.environ.get("SCALE", "1000")))
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument(
        "--baseline",
        default=os.environ.get("BASELINE", ""),
        help="a git revision whose server is measured in turn with this one (figures named FIGURE@REVISION)",
    )
    parser.add_argument(
        "--only",
        type=lambda v: set(v.split(",")),
        default=set(),
        help="comma-separated figures (e.g. refresh_per_s,vanilla_simplejwt_refresh_per_s,in_process)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="refresh",
        choices=("refresh", "silent", "native", "tree"),
        help="in process: the CPU of a refresh, silent SSO or Native SSO part by part, or a refresh's call tree "
        "(bench/profile.py)",
    )
    parser.add_argument("--results", type=Path, help="also write this run's figures there as JSON (a partial run too)")
    args = parser.parse_args()
    if args.profile:
        KEYS.mkdir(parents=True, exist_ok=True)
        prepare_keys()
        env = server_env("sso_bench", IDP_PORT, **({"REDIS_URL": REDIS_URL} if redis_available() else {}))
        subprocess.run(
            ["taskset", "-c", "0", sys.executable, "-m", "bench.profile", args.profile, "500"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return
    global USE_REDIS
    USE_REDIS = redis_available()
    os.sched_setaffinity(0, {1})  # the load generator stays off the server's core
    # Its clients are threads of one process: with Python's default 5 ms switch
    # interval a reply could wait that long behind another client's thread before
    # being read and followed by the next request, leaving the server idle.
    sys.setswitchinterval(0.0005)
    KEYS.mkdir(parents=True, exist_ok=True)
    prepare_keys()
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    results: dict = {
        "revision": revision,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "method": f"gunicorn 1 sync worker on CPU 0, load generator on CPU 1, figures taking turns in {SLICES} "
        "slices each, PostgreSQL" + (", Redis" if USE_REDIS else ", no Redis (database cache)"),
    }
    measure_servers(args, results)
    if not args.only or "in_process" in args.only:
        measure_in_process(args, results)
    if args.results:
        args.results.write_text(json.dumps(results, indent=2) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.only:  # a partial run never overwrites the full figures
        print("\n" + table(results))
        return
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print("\n" + table(results))


if __name__ == "__main__":
    main()
