"""A site's name and accent colour, the two things that tell a user where they are.

Each site passes its own (the IdP from ``SSO_BRAND_NAME``/``SSO_BRAND_COLOR``, a
partner from its ``PARTNER_*`` settings). The colour is served as a one-line
stylesheet (``theme_css``) so that pages need no inline style under the CSP.
"""

from __future__ import annotations

import re

from django.http import HttpResponse

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
DEFAULT_ACCENT = "#3446b4"


def accent_or_default(colour: str) -> str:
    """``colour`` if it is a #rrggbb colour, else the design's own accent."""
    return colour if HEX_COLOUR.fullmatch(colour or "") else DEFAULT_ACCENT


def theme_css(accent: str) -> HttpResponse:
    response = HttpResponse(f":root {{ --accent: {accent_or_default(accent)}; }}\n", content_type="text/css")
    response["Cache-Control"] = "public, max-age=300"
    return response
