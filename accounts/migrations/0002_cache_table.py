"""The database cache table: login-failure counters when Redis is not configured,
and the stand-in for Redis while it is unreachable (accounts/cache.py).

Keys are digests or ids and values are counts or flags: no personal data.
"""

from django.core.management import call_command
from django.db import migrations

TABLE = "sso_cache"


def create_table(apps, schema_editor):
    call_command("createcachetable", TABLE, database=schema_editor.connection.alias, verbosity=0)


def drop_table(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]
    operations = [migrations.RunPython(create_table, drop_table)]
