"""Template context every IdP page gets."""

from django.conf import settings


def brand(request) -> dict:
    return {"brand": {"name": settings.SSO_BRAND_NAME}}
