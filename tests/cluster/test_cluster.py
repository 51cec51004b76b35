"""Two IdP nodes on one PostgreSQL and one Redis behind HAProxy, round-robin, no stickiness.

Every claim of the design that a single process cannot prove: what one node
does, the other sees at once, and a node that dies takes nobody's session with it.
"""

from __future__ import annotations

import base64
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.oauth.keyring import PUBLISH_AHEAD
from tests.cluster.conftest import PASSWORD, CodeFlow
from tests.support.cluster import CSRF_FIELD
from tests.support.metrics import metric_value

pytestmark = [pytest.mark.cluster, pytest.mark.postgres, pytest.mark.redis]


def signed_in_browser(cluster, email: str, base: str | None = None):
    browser = cluster.client()
    response = cluster.sign_in(browser, email, PASSWORD, base)
    assert response.status_code == 302, response.text[:500]
    return browser, response.headers["X-Served-By"]


def is_signed_in(browser, base: str) -> tuple[bool, str]:
    response = browser.get(f"{base}/account/", allow_redirects=False, timeout=10)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200, response.headers["X-Served-By"]


def kid_of(jwt: str) -> str:
    header = jwt.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]


def tokens_for(cluster, code_flow, email: str, authorize_on: str = "a", exchange_on: str = "b") -> tuple[object, dict]:
    browser, _ = signed_in_browser(cluster, email, cluster.node(authorize_on).url)
    code = code_flow.authorize(browser, cluster.node(authorize_on).url)
    response = code_flow.exchange(code, cluster.node(exchange_on).url)
    assert response.status_code == 200, response.text
    return browser, response.json()


def test_round_robin_without_stickiness_and_a_sign_in_on_one_node_is_recognised_on_the_other(cluster, cluster_users):
    (email,) = cluster_users(1)
    browser, signed_in_by = signed_in_browser(cluster, email)
    seen = [is_signed_in(browser, cluster.url) for _ in range(4)]
    assert all(signed for signed, _ in seen), seen
    # The load balancer alternates: the session made on one node was read on both.
    assert {node for _, node in seen} == {"a", "b"}, seen
    assert is_signed_in(browser, cluster.node("a" if signed_in_by == "b" else "b").url)[0]
    assert not is_signed_in(cluster.client(), cluster.url)[0]  # and a stranger is not signed in anywhere


def test_the_balancers_request_id_ties_its_answer_to_the_nodes_log_line(cluster):
    response = cluster.client().get(f"{cluster.url}/healthz", timeout=10)
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", request_id
    )  # HAProxy's uuid()
    log = cluster.node(response.headers["X-Served-By"]).workdir / "access.log"
    cluster.wait_until(lambda: request_id in log.read_text(), "the node's access log does not name the request", 5)


def test_code_from_one_node_redeemed_on_the_other_and_refresh_reuse_across_nodes_ends_the_session(
    cluster, cluster_users, code_flow
):
    (email,) = cluster_users(1)
    a, b = cluster.node("a").url, cluster.node("b").url
    browser, first = tokens_for(cluster, code_flow, email, authorize_on="a", exchange_on="b")
    assert code_flow.userinfo(first["access_token"], a).json()["email"] == email

    rotated = code_flow.refresh(first["refresh_token"], a)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()

    replay = code_flow.refresh(first["refresh_token"], b)  # the stolen copy, played on the other node
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant", replay.text

    # The whole session ended, on both nodes: the rightful successor, its access token, the browser.
    successor = code_flow.refresh(second["refresh_token"], a)
    assert successor.status_code == 400 and successor.json()["error"] == "invalid_grant", successor.text
    assert code_flow.userinfo(second["access_token"], a).status_code == 401
    assert code_flow.userinfo(second["access_token"], b).status_code == 401
    assert not is_signed_in(browser, a)[0] and not is_signed_in(browser, b)[0]


def test_sign_out_through_one_node_is_refused_by_the_other_at_once(cluster, cluster_users, code_flow):
    (email,) = cluster_users(1)
    a, b = cluster.node("a").url, cluster.node("b").url
    browser, tokens = tokens_for(cluster, code_flow, email)
    assert code_flow.userinfo(tokens["access_token"], a).status_code == 200
    assert code_flow.userinfo(tokens["access_token"], b).status_code == 200

    form = browser.get(f"{a}/logout/", timeout=10)
    assert form.status_code == 200
    token = CSRF_FIELD.search(form.text).group(1)
    signed_out = browser.post(
        f"{a}/logout/", data={"csrfmiddlewaretoken": token}, headers={"Referer": f"{a}/logout/", "Origin": a}
    )
    assert signed_out.status_code == 200 and signed_out.headers["X-Served-By"] == "a"

    # No waiting: the other node refuses the same second.
    assert code_flow.userinfo(tokens["access_token"], b).status_code == 401
    refused = code_flow.refresh(tokens["refresh_token"], b)
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"
    assert not is_signed_in(browser, b)[0]


def test_a_key_rotated_on_one_node_is_used_and_published_by_both(cluster, cluster_users, code_flow):
    emails = cluster_users(3)
    a, b = cluster.node("a").url, cluster.node("b").url
    _, before = tokens_for(cluster, code_flow, emails[0])
    old_kid = kid_of(before["access_token"])

    out = cluster.manage("rotate_signing_key", "--algorithm", "RS256", node="a")
    rotated_at = time.monotonic()
    new_kid = out.split("kid=")[1].split()[0]
    assert new_kid != old_kid

    def both_publish_new_first() -> bool:
        return all(
            cluster.client().get(f"{node}/.well-known/jwks.json").json()["keys"][0]["kid"] == new_kid for node in (a, b)
        )

    started = time.monotonic()
    cluster.wait_until(both_publish_new_first, "a node does not publish the new key", seconds=10)
    assert time.monotonic() - started < 10
    # The new key signs PUBLISH_AHEAD after it was made, when every worker of every node
    # publishes it (each re-reads the ring within RECHECK_SECONDS): then tokens carry it.
    time.sleep(max(0.0, rotated_at + PUBLISH_AHEAD.total_seconds() + 0.5 - time.monotonic()))
    for node in ("a", "b"):
        jwks = cluster.client().get(f"{cluster.node(node).url}/.well-known/jwks.json").json()
        assert old_kid in {key["kid"] for key in jwks["keys"]}  # still published: tokens it signed are live
    # Tokens made on either node now carry the new key; the old token still opens userinfo on both.
    for i, (authorize_on, exchange_on) in enumerate((("a", "a"), ("b", "b")), start=1):
        _, fresh = tokens_for(cluster, code_flow, emails[i], authorize_on, exchange_on)
        assert kid_of(fresh["access_token"]) == new_kid == kid_of(fresh["id_token"])
    assert code_flow.userinfo(before["access_token"], a).status_code == 200
    assert code_flow.userinfo(before["access_token"], b).status_code == 200


def test_a_node_killed_mid_run_costs_no_signed_in_user_their_session(cluster, cluster_users, code_flow):
    users = cluster_users(8)
    chains = {}
    for email in users:
        browser, tokens = tokens_for(cluster, code_flow, email)
        chains[email] = {"browser": browser, "tokens": tokens, "app": CodeFlow(cluster, code_flow.app)}
    served_after_kill: set[str] = set()

    def one_round(email: str) -> list[str]:
        chain = chains[email]
        app = chain["app"]  # each user's app its own connections, as on their own device
        refreshed = app.refresh(chain["tokens"]["refresh_token"], cluster.url)
        assert refreshed.status_code == 200, (email, refreshed.status_code, refreshed.text[:300])
        chain["tokens"] = refreshed.json()
        info = app.userinfo(chain["tokens"]["access_token"], cluster.url)
        assert info.status_code == 200 and info.json()["email"] == email
        signed, node = is_signed_in(chain["browser"], cluster.url)
        assert signed, email
        return [refreshed.headers["X-Served-By"], info.headers["X-Served-By"], node]

    victim = cluster.node("a")
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            for round_number in range(8):
                if round_number == 3:
                    cluster.kill(victim)  # no shutdown, no draining: the machine is gone
                served = [node for nodes in pool.map(one_round, users) for node in nodes]
                if round_number >= 3:
                    served_after_kill.update(served)
        assert served_after_kill == {"b"}  # everything after the kill was answered by the survivor
    finally:
        if victim.process is None:
            cluster.start_node(victim)
    # The dead node comes back and serves the same users without anyone signing in again.
    for email in users:
        assert code_flow.refresh(chains[email]["tokens"]["refresh_token"], victim.url).status_code == 200


def test_a_scrape_of_one_node_counts_the_grants_of_all_its_workers(cluster, cluster_users, code_flow):
    a = cluster.node("a").url
    chains = [tokens_for(cluster, code_flow, email, "a", "a")[1] for email in cluster_users(4)]

    def refreshed_on_a() -> float:
        response = cluster.client().get(f"{a}/metrics", timeout=10)
        assert response.status_code == 200, response.text[:300]
        return metric_value(response.text, "sso_token_grants_total", grant_type="refresh_token", outcome="issued")

    before = refreshed_on_a()
    with ThreadPoolExecutor(max_workers=4) as pool:  # at once: both of the node's workers serve some
        for _ in range(3):
            answers = list(
                pool.map(lambda tokens: CodeFlow(cluster, code_flow.app).refresh(tokens["refresh_token"], a), chains)
            )
            assert all(answer.status_code == 200 for answer in answers)
            chains = [answer.json() for answer in answers]
    assert refreshed_on_a() - before == 12
