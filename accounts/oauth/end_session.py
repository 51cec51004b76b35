"""RP-Initiated Logout 1.0: which site asks, where to send the user back, and
whether the request may sign the browser out without asking."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.http import QueryDict
from django.utils.translation import gettext as _

from accounts.models import PartnerSite, SSOSession
from accounts.oauth.registry import active_site
from accounts.oauth.sector_sid import internal_sid
from accounts.oauth.token_lookup import read_id_token_hint


class EndSessionError(Exception):
    pass


@dataclass(frozen=True)
class EndSessionRequest:
    site: PartnerSite | None
    hint_claims: dict | None
    redirect_uri: str
    state: str
    raw_hint: str

    @classmethod
    def parse(cls, params: QueryDict) -> "EndSessionRequest":
        raw_hint = params.get("id_token_hint", "")
        claims = read_id_token_hint(raw_hint) if raw_hint else None
        if raw_hint and claims is None:
            raise EndSessionError(_("The sign-out request carries an ID token we did not issue."))
        client_id = params.get("client_id", "")
        hint_client = claims.get("aud") if claims else None
        if client_id and hint_client and client_id != hint_client:
            raise EndSessionError(_("client_id does not match the ID token."))
        client_id = client_id or hint_client or ""
        site = active_site(client_id)
        redirect_uri = params.get("post_logout_redirect_uri", "")
        if redirect_uri and (site is None or redirect_uri not in site.post_logout_redirect_uris):
            raise EndSessionError(_("The address to return to after signing out is not registered for this site."))
        return cls(site, claims, redirect_uri, params.get("state", ""), raw_hint)

    def confirmed_for(self, sso_session: SSOSession, *, posted: bool) -> bool:
        """A hint for this very session, or the user's own confirmation (CSRF-checked POST)."""
        if posted:
            return True
        # The hint names the session as its site's sector sees it (OIDC Core 17.3).
        return self.hint_claims is not None and internal_sid(self.hint_claims.get("sid"), self.site) == sso_session.sid

    def redirect_target(self) -> str:
        parts = urlsplit(self.redirect_uri)
        extra = urlencode({"state": self.state}) if self.state else ""
        query = "&".join(filter(None, [parts.query, extra]))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))

    def as_params(self) -> dict[str, str]:
        params = {
            "id_token_hint": self.raw_hint,
            "client_id": self.site.client_id if self.site else "",
            "post_logout_redirect_uri": self.redirect_uri,
            "state": self.state,
        }
        return {name: value for name, value in params.items() if value}
