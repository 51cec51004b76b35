"""The partner demo in a real Chromium, signing in through the load balancer: the code it
redeems, the profile it fetches and the logout it is told of may each meet a different node."""

from __future__ import annotations

import pytest

from tests.cluster.conftest import PASSWORD

pytestmark = [pytest.mark.cluster, pytest.mark.browser, pytest.mark.postgres, pytest.mark.redis]


def test_partner_demo_signs_in_and_is_signed_out_through_two_nodes(
    chromium, cluster, cluster_users, cluster_marketplace
):
    (email,) = cluster_users(1)
    partner = cluster_marketplace
    context = chromium.new_context(ignore_https_errors=True)  # the load balancer's certificate is the test's own CA
    page = context.new_page()

    page.goto(partner.url)
    page.click("#sign-in")
    page.wait_for_selector("input[name=email]")
    assert page.url.startswith(cluster.url + "/login/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("button[name=decision][value=allow]")
    page.click("button[name=decision][value=allow]")
    page.wait_for_url(partner.url + "/")
    assert page.inner_text("#signed-in-as") == "Signed in as Cluster User"
    page.goto(partner.url + "/mine/")
    assert "Profile from the identity provider: Cluster User" in page.inner_text("#profile")

    # The browser's IdP session, its own cookies, read by both nodes in turn (a page load is a
    # document and its assets, so the documents alone may all meet one node: ask for bare pages).
    served = set()
    for _ in range(4):
        response = context.request.get(cluster.url + "/account/", max_redirects=0)
        assert response.status == 200  # not sent to sign in
        served.add(response.headers["x-served-by"])
    assert served == {"a", "b"}

    page.goto(cluster.url + "/logout/")
    page.click("main button[type=submit]")
    page.wait_for_selector("h1")
    page.goto(partner.url)
    assert page.locator("#sign-in").is_visible()  # told by the back-channel logout of whichever node
    assert "You were signed out" in page.inner_text("#signed-out-elsewhere")
    page.click("#sign-in")
    page.wait_for_selector("input[name=password]")  # and the IdP session is gone on every node
    context.close()
