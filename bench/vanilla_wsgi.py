"""Bench-only: the simplejwt baseline is served by Django's own WSGI handler, as a plain
project would be (sso_project.wsgi routes the IdP's client endpoints to a handler whose
middleware list the baseline's settings do not have)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.vanilla_settings")
application = get_wsgi_application()
