"""The executable schema: the SDL subset with the resolvers bound to its fields."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FloatValueNode,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    StringValueNode,
    ValueNode,
    build_schema,
)

from mocks.shopify.graphql import (
    catalog,
    fulfillment_types,
    mutations,
    order_edits,
    order_mutations,
    orders,
)
from mocks.shopify.graphql.sdl import SDL
from mocks.shopify.graphql.sdl_orders import ORDERS_SDL

Resolvers = Mapping[str, Mapping[str, Callable[..., Any]]]

_MUTATION_RESOLVERS: dict[str, dict[str, Callable[..., Any]]] = {
    "Mutation": {
        "inventorySetQuantities": mutations.resolve_set_quantities,
        "inventoryAdjustQuantities": mutations.resolve_adjust_quantities,
        **order_mutations.MUTATIONS,
        **order_edits.MUTATIONS,
    },
    "InventoryAdjustmentGroup": {"changes": mutations.resolve_group_changes},
}


def _merge(*maps: Resolvers) -> dict[str, dict[str, Callable[..., Any]]]:
    """Resolver maps of several modules, merged per type (none overwrites another's type)."""
    merged: dict[str, dict[str, Callable[..., Any]]] = {}
    for resolvers in maps:
        for type_name, fields in resolvers.items():
            merged.setdefault(type_name, {}).update(fields)
    return merged


def _bind(schema: GraphQLSchema, resolvers: Resolvers) -> None:
    for type_name, fields in resolvers.items():
        gql_type = schema.get_type(type_name)
        if not isinstance(gql_type, GraphQLObjectType):
            raise TypeError(f"{type_name} is not an object type of the schema")
        for field_name, resolver in fields.items():
            if field_name not in gql_type.fields:
                raise KeyError(f"{type_name}.{field_name} is not in the schema")
            gql_type.fields[field_name].resolve = resolver


def _exact_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Any:
    """A ``Money``/``Decimal`` literal as its source text: ``12.50`` never becomes a float."""
    if isinstance(node, (StringValueNode, FloatValueNode, IntValueNode)):
        return node.value
    raise ValueError("expected a decimal amount")


@functools.cache
def admin_schema() -> GraphQLSchema:
    """The GraphQL Admin API schema subset, built once (it holds no state)."""
    schema = build_schema(SDL + ORDERS_SDL)
    for name in ("Money", "Decimal"):
        scalar = schema.get_type(name)
        assert isinstance(scalar, GraphQLScalarType)
        scalar.parse_literal = _exact_literal  # type: ignore[method-assign, assignment]
    _bind(
        schema,
        _merge(
            catalog.TYPE_RESOLVERS,
            orders.TYPE_RESOLVERS,
            fulfillment_types.TYPE_RESOLVERS,
            order_edits.TYPE_RESOLVERS,
            _MUTATION_RESOLVERS,
        ),
    )
    return schema
