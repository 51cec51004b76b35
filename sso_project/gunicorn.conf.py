"""gunicorn's settings for a production node: `gunicorn -c sso_project/gunicorn.conf.py`.

Every value can be overridden from the environment (GUNICORN_*) or on the
command line; docs/deployment.md explains each choice. The load balancer in
front terminates TLS and speaks the PROXY protocol to the node, so REMOTE_ADDR
is the user's address (lockouts and rate limits count per user network, not
per load balancer) and X-Forwarded-Proto is believed from it alone.
"""

import os
from pathlib import Path

wsgi_app = "sso_project.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: a request holds one worker, so a slow client or database costs a worker,
# not the whole node. docs/performance.md has the figures per worker count.
workers = int(os.environ.get("GUNICORN_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Every handler answers in well under a second; the legacy-IdP call has its own 3 s timeout.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# A worker that leaked memory is replaced now and then, not all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10

# The load balancer's addresses: only they may send the PROXY header and X-Forwarded-Proto.
_front = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
forwarded_allow_ips = _front
proxy_allow_ips = _front
proxy_protocol = os.environ.get("GUNICORN_PROXY_PROTOCOL", "off")

# The access log: no query string (codes, states and tokens travel there) and no client
# address (personal data); the request id ties a line to the application's own logs.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
access_log_format = '%({x-request-id}i)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
# gunicornc's control socket lives in the user's home by default, where a second node of the
# same user would take it over; operators manage nodes through systemd instead.
control_socket_disable = True
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Prometheus (accounts/metrics): with PROMETHEUS_MULTIPROC_DIR set, each worker writes its
# counts to files there and a scrape on any worker sums them all. The folder is this node's
# own; counts of a previous run of the node are dropped at start.
_metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "").strip()


def on_starting(server):
    if _metrics_dir:
        folder = Path(_metrics_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if _metrics_dir:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
