"""SHOPLINE Open API mock (REST Admin API, ``/admin/openapi/{vYYYYMMDD}/``); see ``api.py``."""
