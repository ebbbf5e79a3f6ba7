"""The REST API (``/api/v1/``), its personal tokens, and signed webhooks."""
