"""`make bench` itself: every server it compares starts and answers every request.

The bench is nobody's test, so a change that breaks one of its servers would go unseen
until someone measures (the simplejwt baseline once failed to boot on the IdP's WSGI
module). This runs every figure but the --baseline one for half a second each; the
figures are never compared here, only checked to exist and to have no failed request.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import run as bench

ROOT = Path(__file__).resolve().parents[2]
SERVER_FIGURES = (
    "refresh_per_s",
    "token_refusal_per_s",
    "bare_wsgi_per_s",
    "login_per_s",
    "silent_sso_per_s",
    "native_sso_exchange_per_s",
    "vanilla_simplejwt_refresh_per_s",
    *bench.WORKER_CONFIGURATIONS,
    *bench.BALANCED,
    *bench.NODE_FIGURES,
)
IN_PROCESS_FIGURES = (
    "argon2_verify_per_s",
    "pyjwt_decode_per_s",
    "partner_verify_per_s",
    "partner_verify_cached_per_s",
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.cluster]


def test_every_figure_of_the_bench_is_measured_without_errors(tmp_path):
    results = tmp_path / "figures.json"
    env = {
        **os.environ,
        # Redis databases of the bench's own: it flushes them, and the suite's must survive.
        "REDIS_URL": "redis://127.0.0.1:6379/12",
        "BASELINE_REDIS_URL": "redis://127.0.0.1:6379/13",
    }
    only = ",".join((*SERVER_FIGURES, "in_process"))
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--only", only, "--warmup", "0.2", "--duration", "0.45", "--results", results],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(results.read_text())

    for name in SERVER_FIGURES:
        assert name in figures, f"{name} was not measured: {done.stdout[-2000:]}"
        # A rate instead of a summary: no request of it started in any of its windows.
        assert isinstance(figures[name], dict), (name, figures[name], done.stdout[-2000:])
        assert figures[name]["errors"] == 0, (name, figures[name])
        assert figures[name]["per_s"] > 0, (name, figures[name])
        assert figures[name]["cpu_ms_per_request"] > 0, (name, figures[name])
    for name in IN_PROCESS_FIGURES:
        assert figures[name] > 0, (name, figures[name])
    assert set(figures["ratio_to_node_oidc_provider"]) == set(bench.PEER_FIGURE_OF)

    # The splits of bench/profile.py, on the database the run above seeded: each part they
    # name is on the flow's path and was timed, so the tables in the docs can be made again.
    for flow in ("refresh", "silent", "native"):
        split = subprocess.run(
            [sys.executable, "-m", "bench.profile", flow, "5"],
            cwd=ROOT,
            env=bench.server_env("sso_bench", bench.IDP_PORT, REDIS_URL=env["REDIS_URL"]),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert split.returncode == 0, split.stderr[-3000:]
        rows = [line.split(None, 2) for line in split.stdout.splitlines()[3:]]
        assert len(rows) >= 10, split.stdout
        assert float(rows[0][0].replace(",", "")) > 0, split.stdout  # the whole request, in Django's handler
        for _, calls, part in rows:  # a cached look-up may take under a microsecond, but it is called
            assert float(calls) > 0, (flow, part, split.stdout)
