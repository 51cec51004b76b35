"""Seed data: the catalogues of the two demo partner sites."""

from django.db import migrations

CATALOGUES = {
    "skills": [
        ("python-testing", "Python testing", "Write tests that can fail: pytest, fixtures and real services."),
        ("sql-tuning", "SQL tuning", "Read query plans and make PostgreSQL answer in milliseconds."),
        ("threat-modeling", "Threat modeling", "Find what an attacker would do before they do it."),
        ("oauth-basics", "OAuth basics", "Authorization code, PKCE and tokens explained with a whiteboard."),
    ],
    "languages": [
        ("docs-de", "Docs into German", "Translate the product documentation into German."),
        ("app-ja", "App strings into Japanese", "Localise the mobile app's 1,200 strings."),
        ("help-es", "Help centre into Spanish", "Bring the help centre to Spanish speakers."),
    ],
}


def seed(apps, schema_editor):
    Item = apps.get_model("marketplace_demo", "Item")
    for catalogue, items in CATALOGUES.items():
        for slug, title, summary in items:
            Item.objects.get_or_create(catalogue=catalogue, slug=slug, defaults={"title": title, "summary": summary})


class Migration(migrations.Migration):
    dependencies = [("marketplace_demo", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
