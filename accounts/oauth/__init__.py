"""OpenID Connect / OAuth 2.0 protocol layer: keys, tokens, grants, endpoints.

Views in ``accounts/oauth/views.py`` only adapt HTTP; the decisions live in
the modules named after the piece of the standard they implement.
"""
