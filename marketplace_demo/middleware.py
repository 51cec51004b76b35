from marketplace_demo.oidc import current_user


class PartnerSessionMiddleware:
    """``request.partner_user``: who is signed in on this site, from its own session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.partner_user = current_user(request)
        return self.get_response(request)
