"""Every page in English, German and Spanish: complete catalogues, and the language the user asked for."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from scripts.messages import IGNORED, make_messages
from tests.support.oauth import Pkce, authorize_params

ROOT = Path(settings.BASE_DIR)
SHIPPED = [code for code, _ in settings.LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|<[^>]+>")


def catalogue(lang: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("lang", SHIPPED)
def test_every_string_is_translated_with_its_placeholders_and_markup(lang):
    po = catalogue(lang)
    assert po.untranslated_entries() == [] and po.fuzzy_entries() == []
    for entry in po:
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for text in translations:
            assert sorted(PLACEHOLDER.findall(text)) == sorted(
                PLACEHOLDER.findall(entry.msgid_plural or entry.msgid)
            ) or (
                entry.msgid_plural and "%(count)s" not in text  # the singular may say "one" instead of the count
            ), entry.msgid


def test_makemessages_finds_no_string_the_catalogues_lack(tmp_path):
    copy = tmp_path / "tree"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*IGNORED, ".git", "*.sqlite3", ".keys", "__pycache__"))
    make_messages(copy)
    for lang in SHIPPED:
        found = {e.msgid for e in polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))}
        assert found == {e.msgid for e in catalogue(lang)}, f"run make messages and translate ({lang})"


def test_the_compiled_catalogues_are_those_of_the_po_files():
    for lang in SHIPPED:  # `make messages` (compile_messages) refreshes them
        committed = polib.mofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.mo"))
        assert {e.msgid: e.msgstr for e in committed} == {e.msgid: e.msgstr for e in catalogue(lang)}, lang


@pytest.mark.django_db
def test_accept_language_chooses_the_language_and_the_page_says_so(client):
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="de">' in page and "<h1>Anmelden</h1>" in page and "E-Mail" in page
    assert "Sign in" not in page.split('id="content"')[1].split("</main>")[0]


@pytest.mark.django_db
def test_the_switch_on_every_page_remembers_the_choice(client):
    switched = client.post(reverse("set_language"), {"language": "es", "next": reverse("accounts:login")})
    assert switched.status_code == 302 and client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    page = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<h1>Iniciar sesión</h1>" in page  # the choice beats the browser's preference
    assert 'action="/i18n/setlang/"' in page and 'value="de" lang="de"' in page


@pytest.mark.django_db
def test_ui_locales_on_the_authorization_request_is_honoured(client, site):
    params = authorize_params(site, Pkce.new(), ui_locales="fr es-MX en")
    response = client.get(reverse("oauth:authorize"), params)
    assert response.status_code == 302 and client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    login = client.get(response["Location"]).content.decode()
    assert "<h1>Iniciar sesión</h1>" in login and "para continuar a" in login


def test_discovery_lists_the_languages():
    from accounts.oauth.discovery import provider_metadata

    assert provider_metadata()["ui_locales_supported"] == ["en", "de", "es"]
