"""HAProxy in front of the bench's IdP nodes, for the figure of one node against two.

Plain HTTP (TLS would end at the balancer and cost its CPU, not a node's), round-robin
without stickiness, one connection per request as gunicorn's sync workers want.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path


def haproxy() -> str | None:
    return shutil.which("haproxy", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


def config(frontends: dict[int, list[int]]) -> str:
    """``frontends``: the balancer's port -> the ports of the nodes it sends to."""
    sections = [
        """global
  maxconn 1024

defaults
  mode http
  option http-server-close
  timeout connect 2s
  timeout client 30s
  timeout server 30s
"""
    ]
    for port, nodes in frontends.items():
        servers = "\n".join(f"  server node{index} 127.0.0.1:{node}" for index, node in enumerate(nodes))
        sections.append(
            f"""
frontend lb_{port}
  bind 127.0.0.1:{port}
  default_backend nodes_{port}

backend nodes_{port}
  balance roundrobin
{servers}
"""
        )
    return "".join(sections)


def start(folder: Path, frontends: dict[int, list[int]], cpus: str) -> subprocess.Popen:
    path = folder / "haproxy.cfg"
    path.write_text(config(frontends))
    process = subprocess.Popen(["taskset", "-c", cpus, haproxy(), "-f", str(path), "-db", "-q"])
    deadline = time.monotonic() + 10
    for port in frontends:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    process.kill()
                    raise SystemExit("HAProxy did not start") from None
                time.sleep(0.1)
    return process
