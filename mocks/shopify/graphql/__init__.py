"""Shopify's GraphQL Admin API: a schema subset executed by graphql-core, metered by query cost.

Modules: ``sdl``/``sdl_orders`` (the schema text), ``schema`` (resolvers bound),
``catalog``/``orders``/``mutations``/``quantities`` (resolvers over the REST model's state),
``fulfillment_types``/``order_mutations``/``order_edits``/``order_edit_lines`` (fulfilment,
cancel, refunds and order edits through the REST model's own operations), ``cost``
(calculated query cost), ``connections``/``search`` (cursors, ``query:`` syntax), ``executor``
(one request end to end), ``runtime`` (per-app buckets, idempotency, edit sessions),
``router`` (the route).
"""

from __future__ import annotations

from mocks.shopify.graphql.router import graphql_router
from mocks.shopify.graphql.settings import GraphQLSettings

__all__ = ["GraphQLSettings", "graphql_router"]
