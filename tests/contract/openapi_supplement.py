"""What the apps' generated OpenAPI leaves out, written down for schemathesis.

The mocks read raw bodies and raw query strings (so bad input gets the platform's own error
body, not FastAPI's), which leaves ``/openapi.json`` with no request bodies, no query
parameters and undeclared ``{version}`` path segments. A schema that says nothing tests
nothing, so :func:`complete` fills those gaps in a copy of the schema:

- every path segment ``{name}`` is declared (``version`` as the platform's versions, plus one
  unknown version, which must fall forward or be refused, never crash);
- the write routes that matter get the body shapes the platform documents (checkout,
  inventory set/adjust, webhooks, sales orders, SuiteQL, GraphQL, Shopware sync...), so
  generated cases reach the handlers' business rules; every other POST/PUT/PATCH takes any
  JSON value, so type confusion (a list where an object belongs) is exercised everywhere;
- list routes get their documented query parameters;
- every platform route answering 4xx must answer a JSON object (the platform's error body),
  and the list, count and health routes their documented 200 bodies, both checked by
  schemathesis's response-schema conformance.
"""

from __future__ import annotations

import copy
import re
from typing import Any

JSON = "application/json"
ANY: dict[str, Any] = {}

_INT = {"type": "integer"}
_STR = {"type": "string"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 20}
_QTY = {"type": "integer", "minimum": 1, "maximum": 5}
_MONEY = {"type": "string", "pattern": r"^-?[0-9]{1,6}(\.[0-9]{1,2})?$"}

VERSIONS: dict[str, list[str]] = {
    "shopify": ["2025-10", "2026-01", "2026-04", "2026-07", "2019-01"],
    "shopline": ["v20230901", "v20240901", "v20250301", "v20190101"],
}


def _obj(props: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": props, "required": required or []}


def _list(item: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": item, **extra}


def _checkout(skus: list[str]) -> dict[str, Any]:
    line = _obj({"sku": {"enum": [*skus, "NOPE"]}, "quantity": _QTY}, ["sku", "quantity"])
    return _obj(
        {
            "lines": _list(line, minItems=1, maxItems=3),
            "email": {"enum": ["a@example.com", "not-an-email"]},
            "discount_code": _STR,
            "shipping": {"enum": ["standard", "express", "overnight"]},
        },
        ["lines"],
    )


_SHOPIFY_SET = _obj(
    {"location_id": _INT, "inventory_item_id": _INT, "available": _INT},
    ["location_id", "inventory_item_id", "available"],
)
_SHOPIFY_ADJUST = _obj(
    {"location_id": _INT, "inventory_item_id": _INT, "available_adjustment": _INT},
    ["location_id", "inventory_item_id", "available_adjustment"],
)
_WEBHOOK = _obj(
    {
        "webhook": _obj(
            {
                "topic": {"enum": ["orders/create", "orders/paid", "orders/updated", "x/y"]},
                "address": _STR,
                "format": {"enum": ["json", "xml"]},
            },
            ["topic", "address"],
        )
    },
    ["webhook"],
)
_GRAPHQL = _obj({"query": _STR, "variables": {"type": "object"}}, ["query"])
_REFUND = _obj(
    {
        "refund": _obj(
            {
                "refund_line_items": _list(_obj({"line_item_id": _INT, "quantity": _INT})),
                "shipping": _obj({"full_refund": {"type": "boolean"}, "amount": _MONEY}),
                "note": _STR,
            }
        )
    },
    ["refund"],
)
_FULFILMENT = _obj(
    {
        "fulfillment": _obj(
            {
                "line_items_by_fulfillment_order": _list(
                    _obj(
                        {
                            "fulfillment_order_id": _INT,
                            "fulfillment_order_line_items": _list(
                                _obj({"id": _INT, "quantity": _INT})
                            ),
                        }
                    )
                ),
                "tracking_info": _obj({"number": _STR, "company": _STR, "url": _STR}),
            }
        )
    },
    ["fulfillment"],
)
_ERP_LINE = _obj(
    {
        "item": _obj({"externalId": {"enum": ["A", "B", "UNKNOWN"]}}, ["externalId"]),
        "quantity": _QTY,
        "rate": _MONEY,
        "discountAmount": _MONEY,
        "taxAmount": _MONEY,
    },
    ["item", "quantity", "rate"],
)
_SALES_ORDER = _obj(
    {
        "entity": _obj({"externalId": _NAME}, ["externalId"]),
        "location": _obj({"id": {"enum": ["1", "2"]}}, ["id"]),
        "item": _obj({"items": _list(_ERP_LINE, minItems=1, maxItems=3)}, ["items"]),
        "tranDate": _STR,
        "discountTotal": _MONEY,
        "shippingCost": _MONEY,
        "orderStatus": _obj({"id": _STR}),
        "custbody_rh_channel_created": _STR,
    },
    ["entity", "location", "item"],
)
_SUITEQL = _obj(
    {
        "q": {
            "anyOf": [
                {
                    "enum": [
                        "SELECT id, tranid FROM transaction WHERE type = 'SalesOrd'",
                        "SELECT COUNT(*) AS n FROM transaction GROUP BY trandate",
                        "SELECT item, SUM(quantity) FROM transactionline GROUP BY item",
                        "SELECT * FROM nosuchtable",
                    ]
                },
                _STR,
            ]
        }
    },
    ["q"],
)
_ERP_MOVEMENT = _obj(
    {"sku": _STR, "location_id": _STR, "delta": _INT, "reason": _STR},
    ["sku", "location_id", "delta"],
)
_SHOPWARE_TOKEN = _obj(
    {
        "grant_type": {"enum": ["client_credentials", "password", "refresh_token"]},
        "client_id": _STR,
        "client_secret": _STR,
    },
    ["grant_type"],
)
_SHOPWARE_SYNC = _list(
    _obj(
        {
            "action": {"enum": ["upsert", "delete"]},
            "entity": {"enum": ["product", "order", "order_delivery", "nope"]},
            "payload": _list({"type": "object"}, maxItems=3),
        },
        ["action", "entity", "payload"],
    ),
    maxItems=3,
)
_SHOPWARE_CHECKOUT = _obj(
    {
        "lines": _list(
            _obj(
                {"productNumber": {"enum": ["TEE", "CAP", "NOPE"]}, "quantity": _QTY},
                ["productNumber", "quantity"],
            ),
            minItems=1,
            maxItems=3,
        ),
        "email": _STR,
        "promotionCode": _STR,
    },
    ["lines"],
)
_FULFIL_MOVEMENT = _obj(
    {"product": _STR, "warehouse": _STR, "quantity": _INT, "reason": _STR},
    ["product", "warehouse", "quantity"],
)
_FULFIL_RPC = _list(ANY, maxItems=3)
_SHOPLINE_FULFILMENT = _obj(
    {
        "fulfillment": _obj(
            {
                "line_items": _list(_obj({"id": _STR, "quantity": _INT})),
                "tracking_info": _list(_obj({"number": _STR, "company": _STR}), maxItems=2),
            }
        )
    },
    ["fulfillment"],
)

#: (platform, method, path suffix) → request body schema. A suffix matches the end of a path.
BODIES: dict[tuple[str, str, str], dict[str, Any]] = {
    ("shopify", "post", "/_sim/checkout"): _checkout(["S-0", "S-1", "S-2"]),
    ("shopify", "post", "/inventory_levels/set.json"): _SHOPIFY_SET,
    ("shopify", "post", "/inventory_levels/adjust.json"): _SHOPIFY_ADJUST,
    ("shopify", "post", "/webhooks.json"): _WEBHOOK,
    ("shopify", "post", "/graphql.json"): _GRAPHQL,
    ("shopify", "post", "/refunds.json"): _REFUND,
    ("shopify", "post", "/refunds/calculate.json"): _REFUND,
    ("shopify", "post", "/fulfillments.json"): _FULFILMENT,
    ("shopline", "post", "/_sim/checkout"): _checkout(["TEE"]),
    ("shopline", "post", "/inventory_levels/set.json"): _SHOPIFY_SET,
    ("shopline", "post", "/inventory_levels/adjust.json"): _SHOPIFY_ADJUST,
    ("shopline", "post", "/webhooks.json"): _WEBHOOK,
    ("shopline", "post", "/fulfillments.json"): _SHOPLINE_FULFILMENT,
    ("shopware", "post", "/api/oauth/token"): _SHOPWARE_TOKEN,
    ("shopware", "post", "/api/_action/sync"): _SHOPWARE_SYNC,
    ("shopware", "post", "/_sim/checkout"): _SHOPWARE_CHECKOUT,
    ("fulfil", "post", "/_sim/stock-movement"): _FULFIL_MOVEMENT,
    ("fulfil", "post", "/{method}"): _FULFIL_RPC,
    ("fulfil", "put", "/{method}"): _FULFIL_RPC,
    ("erp", "put", "/salesOrder/{ref}"): _SALES_ORDER,
    ("erp", "patch", "/salesOrder/{ref}"): _SALES_ORDER,
    ("erp", "post", "/suiteql"): _SUITEQL,
    ("erp", "post", "/_sim/stock-movement"): _ERP_MOVEMENT,
}

_LIST_QUERY = {"limit": _INT, "since_id": _INT, "page_info": _STR, "fields": _STR}
_ORDER_QUERY = {
    **_LIST_QUERY,
    "status": {"enum": ["any", "open", "closed", "cancelled", "bogus"]},
    "ids": _STR,
    "created_at_min": _STR,
    "updated_at_min": _STR,
    "financial_status": _STR,
}

#: (platform, path suffix) → query parameters of a GET.
QUERIES: dict[tuple[str, str], dict[str, Any]] = {
    ("shopify", "/orders.json"): _ORDER_QUERY,
    ("shopify", "/orders/count.json"): _ORDER_QUERY,
    ("shopify", "/products.json"): _LIST_QUERY,
    ("shopify", "/inventory_levels.json"): {
        "inventory_item_ids": _STR,
        "location_ids": _STR,
        "limit": _INT,
    },
    ("shopify", "/payouts.json"): _LIST_QUERY,
    ("shopify", "/balance/transactions.json"): {**_LIST_QUERY, "payout_id": _INT},
    ("shopline", "/orders.json"): _ORDER_QUERY,
    ("shopline", "/orders/count.json"): _ORDER_QUERY,
    ("shopline", "/products.json"): _LIST_QUERY,
    ("shopline", "/customers.json"): _LIST_QUERY,
    ("shopline", "/inventory_levels.json"): {
        "inventory_item_ids": _STR,
        "location_ids": _STR,
        "limit": _INT,
    },
    ("shopware", "/api/{entity}"): {"limit": _INT, "page": _INT, "total-count-mode": _INT},
    ("fulfil", "/api/v2/model/{model}"): {
        "page": _INT,
        "per_page": _INT,
        "fields": _STR,
        "context": _STR,
    },
    ("erp", "/inventoryItem"): {"q": _STR, "limit": _INT, "offset": _INT, "fields": _STR},
    ("erp", "/customer"): {"q": _STR, "limit": _INT, "offset": _INT},
    ("engine", "/exceptions"): {"state": {"enum": ["new", "recurring", "resolved", "x"]}},
    ("engine", "/exceptions/records"): {"state": _STR},
}

#: Path segments whose values are one of a few names (anything else must be a 4xx).
PATH_ENUMS: dict[tuple[str, str], list[str]] = {
    ("shopware", "entity"): ["product", "order", "order_delivery", "customer", "nope"],
    ("shopware", "transition"): ["process", "complete", "cancel", "ship", "reopen", "x"],
    ("fulfil", "model"): ["product.product", "sale.sale", "stock.shipment.out", "x.y"],
    ("fulfil", "method"): ["search_read", "create", "write", "search_count", "x"],
    ("erp", "target"): ["itemFulfillment", "creditMemo", "x"],
    ("engine", "channel"): ["shopify", "shopline", "nope"],
}

#: Path segments with a documented shape (anything else must be a 4xx).
PATH_SHAPES: dict[tuple[str, str], dict[str, Any]] = {
    ("erp", "ref"): {"type": "string", "pattern": r"^(eid:shopify-[0-9]{1,3}|[0-9]{1,3})$"},
}

#: (platform, path suffix) → header parameters the route requires.
HEADERS: dict[tuple[str, str], dict[str, Any]] = {
    ("erp", "/suiteql"): {"Prefer": {"enum": ["transient"]}},
}

_ERROR_OBJECT = {"type": "object", "minProperties": 1}


def _listing(key: str) -> dict[str, Any]:
    return _obj({key: {"type": "array", "items": {"type": "object"}}}, [key])


_COUNT = _obj({"count": {"type": "integer", "minimum": 0}}, ["count"])

#: (platform, method, path suffix) → the documented 200 body, checked on every 200.
RESPONSES: dict[tuple[str, str, str], dict[str, Any]] = {
    ("shopify", "get", "/orders/count.json"): _COUNT,
    ("shopify", "get", "/orders.json"): _listing("orders"),
    ("shopify", "get", "/products.json"): _listing("products"),
    ("shopify", "get", "/locations.json"): _listing("locations"),
    ("shopify", "get", "/webhooks.json"): _listing("webhooks"),
    ("shopify", "get", "/inventory_levels.json"): _listing("inventory_levels"),
    ("shopline", "get", "/orders/count.json"): _COUNT,
    ("shopline", "get", "/orders.json"): _listing("orders"),
    ("shopline", "get", "/products.json"): _listing("products"),
    ("erp", "get", "/inventoryItem"): _obj(
        {
            "items": {"type": "array", "items": {"type": "object"}},
            "count": {"type": "integer", "minimum": 0},
            "hasMore": {"type": "boolean"},
        },
        ["items", "count", "hasMore"],
    ),
    ("engine", "get", "/health"): _obj(
        {"status": {"const": "ok"}, "ready": {"type": "boolean"}}, ["status", "ready"]
    ),
    ("engine", "get", "/exceptions/records"): {"type": ["object", "array"]},
}
_SEGMENT = re.compile(r"{([^}]+)}")


def _is_control(path: str) -> bool:
    return path.startswith(("/_mock", "/_sim"))


def _path_params(platform: str, path: str, op: dict[str, Any], known: dict[str, list[Any]]) -> None:
    params = op.setdefault("parameters", [])
    declared = {p["name"] for p in params if p.get("in") == "path"}
    for name in _SEGMENT.findall(path):
        if name in declared:
            continue
        schema: dict[str, Any] = dict(_STR)
        if name == "version" and platform in VERSIONS:
            schema = {"enum": VERSIONS[platform]}
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for (plat, suffix), headers in HEADERS.items():
        if plat == platform and path.endswith(suffix):
            for name, schema in headers.items():
                params.append({"name": name, "in": "header", "required": True, "schema": schema})
    for p in params:
        enum = PATH_ENUMS.get((platform, p["name"]))
        if p.get("in") == "path" and enum is not None:
            p["schema"] = {"enum": enum}
        shape = PATH_SHAPES.get((platform, p["name"]))
        if p.get("in") == "path" and shape is not None:
            p["schema"] = shape
        if p.get("in") == "path" and p["name"] in known:
            # Records that exist, so cases reach past the lookup, and one that does not. (An
            # anyOf with a plain string would be folded into the string and never pick them.)
            # Negative cases still send anything else.
            p["schema"] = {"enum": [*known[p["name"]], "0"]}


def _query(platform: str, path: str, op: dict[str, Any]) -> None:
    for (plat, suffix), props in QUERIES.items():
        if plat == platform and path.endswith(suffix):
            params = op.setdefault("parameters", [])
            have = {p["name"] for p in params}
            for name, schema in props.items():
                if name not in have:
                    params.append(
                        {"name": name, "in": "query", "required": False, "schema": schema}
                    )
            return


def _body(platform: str, method: str, path: str, op: dict[str, Any]) -> None:
    if method not in ("post", "put", "patch") or "requestBody" in op:
        return
    schema, required = ANY, False
    for (plat, meth, suffix), body in BODIES.items():
        if plat == platform and meth == method and path.endswith(suffix):
            schema, required = body, True
            break
    op["requestBody"] = {"required": required, "content": {JSON: {"schema": schema}}}


def _success(platform: str, method: str, path: str, op: dict[str, Any]) -> None:
    for (plat, meth, suffix), schema in RESPONSES.items():
        if plat == platform and meth == method and path.endswith(suffix):
            op.setdefault("responses", {})["200"] = {
                "description": "the documented body",
                "content": {JSON: {"schema": schema}},
            }
            return


def _errors(path: str, op: dict[str, Any]) -> None:
    if _is_control(path):
        return
    op.setdefault("responses", {})["4XX"] = {
        "description": "the platform's own error body",
        "content": {JSON: {"schema": _ERROR_OBJECT}},
    }


def complete(
    schema: dict[str, Any], platform: str, known: dict[str, list[Any]] | None = None
) -> dict[str, Any]:
    """A copy of ``schema`` (an app's ``/openapi.json``) with the gaps above filled in;
    ``known`` maps a path segment's name to ids of records that exist (an order placed)."""
    out = copy.deepcopy(schema)
    for path, item in out.get("paths", {}).items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            # FastAPI's 422 for its own validation is never sent: the mocks validate
            # themselves. Drop it so it does not pass for a documented error.
            op.get("responses", {}).pop("422", None)
            _path_params(platform, path, op, known or {})
            if method == "get":
                _query(platform, path, op)
            _body(platform, method, path, op)
            _success(platform, method, path, op)
            _errors(path, op)
    return out
