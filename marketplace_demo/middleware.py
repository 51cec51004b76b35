from urllib.parse import urlsplit

from django.conf import settings

from marketplace_demo.oidc import current_user


class PartnerSessionMiddleware:
    """``request.partner_user``: who is signed in on this site, from its own session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.partner_user = current_user(request)
        return self.get_response(request)


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
