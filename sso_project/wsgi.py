import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sso_project.settings")
pages = get_wsgi_application()

from sso_project.client_endpoints import ClientEndpointHandler, by_path  # noqa: E402

application = by_path(pages, ClientEndpointHandler())


def _freeze_startup_objects() -> None:
    """What start-up builds lives as long as the process: the URL patterns and the
    modules of every view are loaded here rather than by the first request, then
    frozen out of the cyclic garbage collector, whose full collections then no
    longer walk them: such a pause lands on every request in flight."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 (populating it imports every view)
    gc.freeze()


_freeze_startup_objects()
