"""Fixtures: the IdP as a live server with its issuer set to the live URL, and partner sites."""

from __future__ import annotations

import pytest

from tests.partners import PartnerProcess


@pytest.fixture
def idp(live_server, settings):
    settings.SSO = {**settings.SSO, "ISSUER": live_server.url}
    return live_server.url


@pytest.fixture
def marketplace(idp, tmp_path, transactional_db):
    partner = PartnerProcess("marketplace", "Skills Marketplace", "127.0.0.1", "skills", idp, tmp_path).start()
    partner.register()
    yield partner
    partner.stop()


@pytest.fixture
def languages(idp, tmp_path, transactional_db):
    partner = PartnerProcess("languages", "Languages Hub", "127.0.0.2", "languages", idp, tmp_path,
                             subject_type="pairwise").start()
    partner.register()
    yield partner
    partner.stop()
