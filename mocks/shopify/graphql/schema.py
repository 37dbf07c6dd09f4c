"""The executable schema: the SDL subset with the resolvers bound to its fields."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLObjectType, GraphQLSchema, build_schema

from mocks.shopify.graphql import catalog, mutations, orders
from mocks.shopify.graphql.sdl import SDL

_MUTATION_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Mutation": {
        "inventorySetQuantities": mutations.resolve_set_quantities,
        "inventoryAdjustQuantities": mutations.resolve_adjust_quantities,
    },
    "InventoryAdjustmentGroup": {"changes": mutations.resolve_group_changes},
}


def _bind(schema: GraphQLSchema, resolvers: Mapping[str, Mapping[str, Callable[..., Any]]]) -> None:
    for type_name, fields in resolvers.items():
        gql_type = schema.get_type(type_name)
        if not isinstance(gql_type, GraphQLObjectType):
            raise TypeError(f"{type_name} is not an object type of the schema")
        for field_name, resolver in fields.items():
            if field_name not in gql_type.fields:
                raise KeyError(f"{type_name}.{field_name} is not in the schema")
            gql_type.fields[field_name].resolve = resolver


@functools.cache
def admin_schema() -> GraphQLSchema:
    """The GraphQL Admin API schema subset, built once (it holds no state)."""
    schema = build_schema(SDL)
    _bind(schema, {**catalog.TYPE_RESOLVERS, "Query": {}})
    # Query resolvers come from two modules; merge rather than let one overwrite the other.
    _bind(schema, {"Query": {**catalog.TYPE_RESOLVERS["Query"], **orders.TYPE_RESOLVERS["Query"]}})
    _bind(schema, {k: v for k, v in orders.TYPE_RESOLVERS.items() if k != "Query"})
    _bind(schema, _MUTATION_RESOLVERS)
    return schema
