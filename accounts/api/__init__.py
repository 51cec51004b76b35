"""The REST API for partner sites (``/api/v1/``), authenticated by our access tokens."""
