"""One GraphQL request, end to end: parse, validate, price, reserve, execute, refund, answer.

Order matters and follows Shopify: a request that cannot be priced or breaks a request-level
limit (syntax, validation, array size, page size, ``MAX_COST_EXCEEDED``) is answered before the
bucket is touched; then the *requested* cost is reserved (``THROTTLED`` takes nothing); then
the operation runs; then requested − actual is refunded. Every answer is HTTP 200 except a
body that is not a GraphQL request at all (400).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from mocks.common import jsonsafe
from mocks.shopify.graphql.cost import CostContext, QueryRejected, operation_cost
from mocks.shopify.graphql.runtime import GraphQLRuntime, RequestContext
from mocks.shopify.graphql.schema import admin_schema
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopify.models import ShopifyModel

THROTTLED_DOCS = "https://shopify.dev/api/usage/rate-limits"
MAX_COST_MESSAGE = (
    "Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
    "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n"
    "cost of a query is calculated.\n\n"
    "To query larger amounts of data with fewer limits, bulk operations should be used instead.\n"
    "See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
)
BAD_BODY = {"errors": {"query": "Required parameter missing or invalid"}}


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphQLRequest:
    """The three parts of a GraphQL-over-HTTP request."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None


class BadGraphQLBody(Exception):
    """The HTTP body is not a GraphQL request (answered 400, not 200)."""


def read_request(raw: bytes, content_type: str) -> GraphQLRequest:
    """``application/json`` ``{query, variables?, operationName?}`` or ``application/graphql``."""
    if content_type.split(";", 1)[0].strip().lower() == "application/graphql":
        return GraphQLRequest(
            query=raw.decode("utf-8", "replace"), variables={}, operation_name=None
        )
    try:
        body = jsonsafe.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadGraphQLBody("body is not JSON") from exc
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise BadGraphQLBody("query is missing")
    variables = body.get("variables") or {}
    name = body.get("operationName")
    if not isinstance(variables, dict) or not (name is None or isinstance(name, str)):
        raise BadGraphQLBody("variables must be an object and operationName a string")
    return GraphQLRequest(query=body["query"], variables=variables, operation_name=name)


def _errors(errors: list[GraphQLError]) -> dict[str, Any]:
    return {"errors": [e.formatted for e in errors]}


def _cost(requested: int | None, actual: int | None, throttle: dict[str, Any]) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": throttle,
        }
    }


def prepare(
    req: GraphQLRequest, settings: GraphQLSettings
) -> tuple[DocumentNode, OperationDefinitionNode, CostContext]:
    """Parse, validate and pick the operation; raises :class:`QueryRejected` with the errors."""
    schema = admin_schema()
    try:
        document = parse(req.query)
    except GraphQLSyntaxError as exc:
        raise QueryRejected([exc]) from exc
    problems = validate(schema, document)
    if problems:
        raise QueryRejected(problems)
    operation = get_operation_ast(document, req.operation_name)
    if operation is None:
        raise QueryRejected([GraphQLError("An operation name is required and must match one.")])
    coerced = get_variable_values(schema, operation.variable_definitions or (), req.variables)
    if isinstance(coerced, list):
        raise QueryRejected(coerced)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    ctx = CostContext(schema=schema, fragments=fragments, variables=coerced, settings=settings)
    return document, operation, ctx


def handle(
    req: GraphQLRequest,
    *,
    token: str,
    model: ShopifyModel,
    runtime: GraphQLRuntime,
    api_version: str,
) -> dict[str, Any]:
    """The JSON body of the (HTTP 200) answer to one GraphQL request."""
    settings = runtime.settings
    bucket = runtime.bucket(token)
    runtime.stats.requests += 1
    try:
        document, operation, cost_ctx = prepare(req, settings)
        requested = operation_cost(cost_ctx, operation, actual=False)
    except QueryRejected as rejected:
        runtime.stats.rejected += 1
        return _errors(rejected.errors)
    if requested > settings.max_query_cost:
        runtime.stats.max_cost_exceeded += 1
        error = {
            "message": MAX_COST_MESSAGE.format(cost=requested, max_cost=settings.max_query_cost),
            "extensions": {
                "code": "MAX_COST_EXCEEDED",
                "cost": requested,
                "maxCost": settings.max_query_cost,
            },
        }
        return {"errors": [error], "extensions": _cost(requested, None, bucket.throttle_status())}
    reservation = bucket.reserve(requested)
    if not reservation.allowed:
        runtime.stats.throttled += 1
        error = {
            "message": "Throttled",
            "extensions": {"code": "THROTTLED", "documentation": THROTTLED_DOCS},
        }
        return {"errors": [error], "extensions": _cost(requested, None, bucket.throttle_status())}
    ctx = RequestContext(model=model, runtime=runtime, api_version=api_version)
    result = execute_sync(
        admin_schema(),
        document,
        context_value=ctx,
        variable_values=req.variables,
        operation_name=req.operation_name,
    )
    # Never charge more than was reserved, whatever the walk over the response finds.
    actual = min(requested, operation_cost(cost_ctx, operation, result.data, actual=True))
    bucket.refund(requested - actual)
    runtime.stats.points_spent += actual
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [e.formatted for e in result.errors]
    extensions = _cost(requested, actual, bucket.throttle_status())
    if ctx.search_reports:
        extensions["search"] = ctx.search_reports
    body["extensions"] = extensions
    return body
