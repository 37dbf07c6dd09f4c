"""Calculated query cost, Shopify's rules, for the requested (static) and actual (returned) query.

Rules (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits, "Cost calculation", and
Shopify Engineering's "Rate Limiting GraphQL APIs by Calculating Query Complexity", the post
that introduced the model; PLATFORMS.md 1.2):

- a scalar or enum field costs 0;
- an object field costs 1 plus its selection (a plain list of objects, e.g. ``taxLines``,
  is priced like one object: its length is unknown before execution);
- a **connection** costs **2 + n × (1 + the node's selection)**, where n is ``first`` or
  ``last`` ("two points plus the number of objects returned", each object priced by its own
  selection, so nested connections multiply). ``pageInfo``, ``cursor`` and the ``edges``
  wrapper are covered by the 2; selecting both ``edges { node }`` and ``nodes`` is priced
  once (the same objects), at the dearer of the two selections;
- a mutation field costs ``mutation_cost`` (10) flat, the payload selection included;
- the *requested* cost uses ``first``/``last``; the *actual* cost walks the response and uses
  the number of nodes each connection really returned, so it is never above the requested.

While walking the requested query this module also enforces the request-level limits Shopify
checks before running anything: a connection needs ``first`` or ``last`` (≤ the page size
cap), and no array input may hold more than 250 items (PLATFORMS.md 1.3).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLIncludeDirective,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSkipDirective,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.values import VariableValues, get_argument_values, get_directive_values

from mocks.shopify.graphql.settings import GraphQLSettings

CONNECTION_SUFFIX = "Connection"
CONNECTION_BASE_COST = 2
OBJECT_COST = 1

Collected = dict[str, list[FieldNode]]
"""Response key -> the field nodes merged under it."""


class QueryRejected(Exception):
    """The request breaks a request-level limit; nothing is charged or executed."""

    def __init__(self, errors: Sequence[GraphQLError]) -> None:
        super().__init__("; ".join(e.message for e in errors))
        self.errors = list(errors)


@dataclass(kw_only=True)
class CostContext:
    """What the walk needs: schema, the document's fragments, coerced variables, limits."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues
    settings: GraphQLSettings


def _included(ctx: CostContext, node: Any) -> bool:
    skip = get_directive_values(GraphQLSkipDirective, node, ctx.variables)
    if skip is not None and skip.get("if") is True:
        return False
    include = get_directive_values(GraphQLIncludeDirective, node, ctx.variables)
    return include is None or include.get("if") is not False


def collect(
    ctx: CostContext, parent: GraphQLObjectType, selection_sets: Iterable[SelectionSetNode | None]
) -> Collected:
    """Fields selected on ``parent``, fragments expanded, grouped by response key."""
    out: Collected = {}

    def visit(selection_set: SelectionSetNode | None) -> None:
        for sel in selection_set.selections if selection_set else ():
            if not _included(ctx, sel):
                continue
            if isinstance(sel, FieldNode):
                key = sel.alias.value if sel.alias else sel.name.value
                out.setdefault(key, []).append(sel)
            elif isinstance(sel, InlineFragmentNode):
                # The schema has no interfaces or unions: a condition matches by name only.
                if sel.type_condition is None or sel.type_condition.name.value == parent.name:
                    visit(sel.selection_set)
            elif isinstance(sel, FragmentSpreadNode):
                frag = ctx.fragments.get(sel.name.value)
                if frag is not None and frag.type_condition.name.value == parent.name:
                    visit(frag.selection_set)

    for selection_set in selection_sets:
        visit(selection_set)
    return out


def _sub(nodes: list[FieldNode]) -> list[SelectionSetNode | None]:
    return [n.selection_set for n in nodes]


def _check_arrays(ctx: CostContext, value: Any, path: list[str], node: FieldNode) -> None:
    limit = ctx.settings.max_input_array
    if isinstance(value, list):
        if len(value) > limit:
            raise QueryRejected(
                [
                    GraphQLError(
                        f"The input array size of {len(value)} is greater than the maximum "
                        f"allowed of {limit}.",
                        node,
                        path=path,
                        extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                    )
                ]
            )
        for i, item in enumerate(value):
            _check_arrays(ctx, item, [*path, str(i)], node)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_arrays(ctx, item, [*path, key], node)


def _arguments(
    ctx: CostContext, parent: GraphQLObjectType, node: FieldNode
) -> tuple[dict[str, Any], Any]:
    field = parent.fields[node.name.value]
    try:
        args = get_argument_values(field, node, ctx.variables)
    except GraphQLError as exc:
        raise QueryRejected([exc]) from exc
    _check_arrays(ctx, args, [node.name.value], node)
    return args, field


def _page_size(ctx: CostContext, node: FieldNode, args: dict[str, Any]) -> int:
    size = args.get("first") if args.get("first") is not None else args.get("last")
    if size is None:
        raise QueryRejected(
            [
                GraphQLError(
                    "you must provide one of first or last",
                    node,
                    extensions={"code": "BAD_REQUEST"},
                )
            ]
        )
    if not 0 <= size <= ctx.settings.max_page_size:
        raise QueryRejected(
            [
                GraphQLError(
                    f"first and last must be between 0 and {ctx.settings.max_page_size}, "
                    f"got {size}",
                    node,
                    extensions={"code": "BAD_REQUEST"},
                )
            ]
        )
    return int(size)


def _node_selections(
    ctx: CostContext, conn: GraphQLObjectType, nodes: list[FieldNode]
) -> list[tuple[str, str | None, GraphQLObjectType, list[FieldNode]]]:
    """Where the connection's nodes are selected: (key, inner key or None, node type, fields)."""
    out: list[tuple[str, str | None, GraphQLObjectType, list[FieldNode]]] = []
    for key, fields in collect(ctx, conn, _sub(nodes)).items():
        name = fields[0].name.value
        if name == "nodes":
            node_type = get_named_type(conn.fields["nodes"].type)
            assert isinstance(node_type, GraphQLObjectType)
            out.append((key, None, node_type, fields))
        elif name == "edges":
            edge_type = get_named_type(conn.fields["edges"].type)
            assert isinstance(edge_type, GraphQLObjectType)
            for inner, node_fields in collect(ctx, edge_type, _sub(fields)).items():
                if node_fields[0].name.value == "node":
                    node_type = get_named_type(edge_type.fields["node"].type)
                    assert isinstance(node_type, GraphQLObjectType)
                    out.append((key, inner, node_type, node_fields))
    return out


def selection_cost(
    ctx: CostContext,
    parent: GraphQLObjectType,
    collected: Collected,
    data: Any = None,
    *,
    actual: bool,
) -> int:
    """Cost of ``collected`` on ``parent``; ``actual`` prices ``data`` as returned."""
    total = 0
    for key, nodes in collected.items():
        name = nodes[0].name.value
        if name.startswith("__"):
            continue
        args, field = _arguments(ctx, parent, nodes[0]) if not actual else ({}, parent.fields[name])
        named = get_named_type(field.type)
        if is_leaf_type(named):
            continue
        assert isinstance(named, GraphQLObjectType)
        value = data.get(key) if actual and isinstance(data, dict) else None
        if actual and value is None:
            continue  # nothing came back (null or error): nothing to pay for
        if named.name.endswith(CONNECTION_SUFFIX):
            total += _connection_cost(ctx, named, nodes, args, value, actual=actual)
            continue
        children = collect(ctx, named, _sub(nodes))
        if actual and isinstance(value, list):
            total += OBJECT_COST + max(
                (selection_cost(ctx, named, children, v, actual=True) for v in value), default=0
            )
        else:
            total += OBJECT_COST + selection_cost(ctx, named, children, value, actual=actual)
    return total


def _connection_cost(
    ctx: CostContext,
    conn: GraphQLObjectType,
    nodes: list[FieldNode],
    args: dict[str, Any],
    value: Any,
    *,
    actual: bool,
) -> int:
    places = _node_selections(ctx, conn, nodes)
    if not actual:
        size = _page_size(ctx, nodes[0], args)
        per_node = max(
            (
                OBJECT_COST + selection_cost(ctx, t, collect(ctx, t, _sub(f)), actual=False)
                for _, _, t, f in places
            ),
            default=0,
        )
        return CONNECTION_BASE_COST + size * per_node
    spent = 0
    for key, inner, node_type, fields in places:
        children = collect(ctx, node_type, _sub(fields))
        items = value.get(key) or []
        datas = [item.get(inner) for item in items] if inner is not None else items
        spent = max(
            spent,
            sum(
                OBJECT_COST + selection_cost(ctx, node_type, children, d, actual=True)
                for d in datas
            ),
        )
    return CONNECTION_BASE_COST + spent


def operation_cost(
    ctx: CostContext, operation: OperationDefinitionNode, data: Any = None, *, actual: bool
) -> int:
    """Requested (``actual=False``) or actual cost of one operation."""
    root = (
        ctx.schema.mutation_type
        if operation.operation == OperationType.MUTATION
        else ctx.schema.query_type
    )
    if root is None:  # pragma: no cover - the schema defines both roots
        raise QueryRejected([GraphQLError("Operation type not supported", operation)])
    collected = collect(ctx, root, [operation.selection_set])
    if operation.operation != OperationType.MUTATION:
        return selection_cost(ctx, root, collected, data, actual=actual)
    fields = [nodes for nodes in collected.values() if not nodes[0].name.value.startswith("__")]
    for nodes in fields:
        if not actual:
            _arguments(ctx, root, nodes[0])  # array limits apply to mutation inputs above all
    return ctx.settings.mutation_cost * len(fields)
