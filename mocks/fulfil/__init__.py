"""Fulfil (fulfil.io, Tryton-based ERP) mock: see api.py for the wire contract."""
