"""Fixtures: the IdP as a live server with its issuer set to the live URL, and partner sites.

The partner sites are processes started once per test session (the live server,
and so the issuer, is one per session too); each test registers them again in
its own database, and a new browser context gives it sessions of its own.
"""

from __future__ import annotations

import pytest

from tests.support.partners import PartnerProcess

PARTNERS = {
    "marketplace": dict(name="Skills Marketplace", host="127.0.0.1", catalogue="skills"),
    "languages": dict(name="Languages Hub", host="127.0.0.2", catalogue="languages", subject_type="pairwise"),
}


@pytest.fixture
def idp(live_server, settings):
    settings.SSO = {**settings.SSO, "ISSUER": live_server.url}
    return live_server.url


@pytest.fixture(scope="session")
def partner_processes(live_server, tmp_path_factory):
    """Each partner site's process, started when a test first needs it (or again after a test
    stopped it to play a site that is down), stopped at the end."""
    started: dict[str, PartnerProcess] = {}

    def running(client_id: str) -> PartnerProcess:
        if client_id not in started:
            workdir = tmp_path_factory.mktemp(client_id)
            started[client_id] = PartnerProcess(
                client_id, issuer=live_server.url, workdir=workdir, **PARTNERS[client_id]
            )
        if started[client_id].process is None:
            started[client_id].start()
        return started[client_id]

    yield running
    for partner in started.values():
        partner.stop()


@pytest.fixture
def marketplace(idp, partner_processes, transactional_db):
    partner = partner_processes("marketplace")
    partner.register()
    return partner


@pytest.fixture
def languages(idp, partner_processes, transactional_db):
    partner = partner_processes("languages")
    partner.register()
    return partner
