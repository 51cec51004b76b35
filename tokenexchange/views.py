"""The token endpoint's grant_type=urn:ietf:params:oauth:grant-type:token-exchange, as a DRF view."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.oauth.token_endpoint import client_endpoint_response
from tokenexchange.profiles import grant_token_exchange

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"


class TokenExchangeView(APIView):
    """RFC 8693: form parsing, client authentication and the error shape are the
    token endpoint's own (one pipeline); the profiles decide the rest."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        return client_endpoint_response(request._request, grant_token_exchange)


token_exchange_view = TokenExchangeView.as_view()
