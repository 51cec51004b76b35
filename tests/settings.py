"""The IdP's settings as the tests run them: production is the default, so
development is switched on explicitly (as `make test` and `make demo` do), also
for the servers the tests start, which inherit the environment."""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
# As in the demo: the admin tests sign staff in with a password; the rule itself is tested on its own.
os.environ.setdefault("ADMIN_REQUIRE_MFA", "false")

from sso_project.settings import *  # noqa: E402,F401,F403
