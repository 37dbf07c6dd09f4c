"""Shopware 6 Admin API mock (PLATFORMS.md section 3); the app is :func:`api.create_app`."""
