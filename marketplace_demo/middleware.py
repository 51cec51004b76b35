from urllib.parse import urlsplit

from django.conf import settings

from marketplace_demo.oidc import current_user

WAS_SIGNED_IN = "was_signed_in"  # a marker only: it names nobody


class PartnerSessionMiddleware:
    """``request.partner_user``: who is signed in on this site, from its own session.

    A browser that was signed in here and no longer is, without signing out here (its
    session ended by a back-channel logout from elsewhere), is told so on the next page:
    ``request.signed_out_elsewhere``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.partner_user = current_user(request)
        request.signed_out_elsewhere = request.partner_user is None and WAS_SIGNED_IN in request.COOKIES
        response = self.get_response(request)
        if getattr(request, "partner_user", None) is not None:
            response.set_cookie(
                WAS_SIGNED_IN, "1", max_age=30 * 86400, httponly=True, samesite="Lax", secure=request.is_secure()
            )
        elif WAS_SIGNED_IN in request.COOKIES:
            response.delete_cookie(WAS_SIGNED_IN, samesite="Lax")
        return response


class ContentSecurityPolicyMiddleware:
    """The partner's pages load only their own resources, are never framed, and
    their forms go only to this site and, through its redirects, to the IdP."""

    def __init__(self, get_response):
        self.get_response = get_response
        issuer = urlsplit(settings.PARTNER["ISSUER"])
        self.policy = (
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            f"frame-ancestors 'none'; form-action 'self' {issuer.scheme}://{issuer.netloc}"
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
