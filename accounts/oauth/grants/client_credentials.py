"""RFC 6749 section 4.4: a confidential client's access token for itself.

It names no user (``sub`` is the client_id, RFC 9068 section 2.2) and opens no
API of ours; its one use is as the ``actor_token`` of a delegation exchange,
where it proves that the actor named in ``act`` is the calling service itself
(RFC 8693 section 4.1).
"""

from __future__ import annotations

from accounts.audit import EventType, record_event
from accounts.oauth.errors import OAuthError
from accounts.oauth.keyring import signing_key_for
from accounts.oauth.token_request import TokenRequest
from accounts.oauth.tokens import SSOAccessToken


def grant(request: TokenRequest) -> dict[str, object]:
    site = request.site
    if not site.is_confidential:
        raise OAuthError("unauthorized_client", "Only a confidential client may use the client_credentials grant.")
    if request.params.get("scope"):
        raise OAuthError("invalid_scope", "A client's own token carries no scope.")
    token = SSOAccessToken(audience=site.client_id).set_claims(sub=site.client_id, client_id=site.client_id)
    record_event(EventType.TOKEN_ISSUED, client_id=site.client_id, grant="client_credentials")
    return {
        "access_token": token.signed_with(signing_key_for(site)),
        "token_type": "Bearer",
        "expires_in": int(token.lifetime.total_seconds()),
    }
