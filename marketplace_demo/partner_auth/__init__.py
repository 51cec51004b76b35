"""Verifying the identity provider's JWTs on a partner site, from its JWKS alone.

Reusable by any partner API: install ``IdPAccessTokenAuthentication`` as a DRF
authentication class and set ``PARTNER_API_AUTH = {"ISSUER": ..., "AUDIENCE": ...}``.
No key that can mint tokens is ever needed here.
"""
