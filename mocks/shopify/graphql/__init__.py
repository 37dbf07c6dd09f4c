"""Shopify's GraphQL Admin API: a schema subset executed by graphql-core, metered by query cost.

Modules: ``sdl`` (the schema text), ``schema`` (resolvers bound), ``catalog``/``orders``/
``mutations``/``quantities`` (resolvers over the REST model's state), ``cost`` (calculated
query cost), ``connections``/``search`` (cursors, ``query:`` syntax), ``executor`` (one
request end to end), ``runtime`` (per-app buckets and idempotency), ``router`` (the route).
"""

from __future__ import annotations

from mocks.shopify.graphql.router import graphql_router
from mocks.shopify.graphql.settings import GraphQLSettings

__all__ = ["GraphQLSettings", "graphql_router"]
