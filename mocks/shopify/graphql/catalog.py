"""Resolvers for the shop, locations, products, variants, inventory items and levels.

Sources are the model's own records (``Product``, ``Variant`` — which is also the inventory
item, 1:1 — and ``Location``); an inventory level is a (variant, location) pair read live from
``model.levels``, so a REST write is visible here at once and vice versa.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mocks.shopify.graphql import quantities as q
from mocks.shopify.graphql.connections import gid, paginate, parse_gid, shopify_decimal
from mocks.shopify.graphql.runtime import Info, RequestContext
from mocks.shopify.graphql.search import Term, build_filter, compare, int_value
from mocks.shopify.models import ShopifyModel
from mocks.shopify.records import Location, Product, Variant
from simclock import iso_utc

Resolver = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class LevelRef:
    """An inventory level: one item (by its variant) at one location."""

    variant: Variant
    location: Location


def _model(info: Info) -> ShopifyModel:
    ctx: RequestContext = info.context
    return ctx.model


def _filtered(info: Info, query: str | None, fields: dict[str, Any]) -> Callable[[Any], bool]:
    predicate, report = build_filter(query, fields, info.field_name)
    ctx: RequestContext = info.context
    ctx.search_reports.extend(report)
    return predicate


def _variants(model: ShopifyModel) -> list[Variant]:
    return [v for p in model.products.values() for v in p.variants]


def _sku_term(v: Variant, t: Term) -> bool:
    return compare(v.sku, t.op, t.value)


def _item_id_term(v: Variant, t: Term) -> bool:
    return compare(v.inventory_item_id, t.op, int_value(t.value))


def _total_available(model: ShopifyModel, item_id: int) -> int:
    return sum(lv.available for (iid, _), lv in model.levels.items() if iid == item_id)


# -- Query root ------------------------------------------------------------------------------


def shop(_root: Any, info: Info) -> dict[str, Any]:
    """``shop``."""
    model = _model(info)
    domain = model.settings.shop_domain
    return {
        "id": gid("Shop", 1),
        "name": domain.split(".", 1)[0],
        "myshopifyDomain": domain,
        "currencyCode": model.currency,
    }


def products(
    _root: Any,
    info: Info,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    **page: Any,
) -> dict[str, Any]:
    """``products(first, after, last, before, query, sortKey, reverse)``."""
    fields = {
        "id": lambda p, t: compare(p.id, t.op, int_value(t.value)),
        "title": lambda p, t: compare(p.title, t.op, t.value),
        "sku": lambda p, t: any(compare(v.sku, t.op, t.value) for v in p.variants),
    }
    keep = _filtered(info, query, fields)
    items = [p for p in _model(info).products.values() if keep(p)]

    def key(p: Product) -> tuple[Any, int]:
        return (p.title if sortKey == "TITLE" else p.id, p.id)

    return paginate(items, key, page, reverse=reverse)


def product(_root: Any, info: Info, id: str) -> Product | None:
    """``product(id)``."""
    pid = parse_gid(id, "Product")
    return _model(info).products.get(pid) if pid is not None else None


def product_variants(
    _root: Any,
    info: Info,
    query: str | None = None,
    reverse: bool = False,
    **page: Any,
) -> dict[str, Any]:
    """``productVariants(first, after, last, before, query, reverse)``."""
    fields = {
        "sku": _sku_term,
        "id": lambda v, t: compare(v.id, t.op, int_value(t.value)),
        "product_id": lambda v, t: compare(v.product_id, t.op, int_value(t.value)),
    }
    keep = _filtered(info, query, fields)
    items = [v for v in _variants(_model(info)) if keep(v)]
    return paginate(items, lambda v: (v.id, v.id), page, reverse=reverse)


def product_variant(_root: Any, info: Info, id: str) -> Variant | None:
    """``productVariant(id)``."""
    vid = parse_gid(id, "ProductVariant")
    return next((v for v in _variants(_model(info)) if v.id == vid), None)


def inventory_items(
    _root: Any,
    info: Info,
    query: str | None = None,
    reverse: bool = False,
    **page: Any,
) -> dict[str, Any]:
    """``inventoryItems(first, after, last, before, query, reverse)``."""
    keep = _filtered(info, query, {"sku": _sku_term, "id": _item_id_term})
    items = [v for v in _model(info).variants_by_item.values() if keep(v)]
    return paginate(
        items, lambda v: (v.inventory_item_id, v.inventory_item_id), page, reverse=reverse
    )


def inventory_item(_root: Any, info: Info, id: str) -> Variant | None:
    """``inventoryItem(id)``."""
    iid = parse_gid(id, "InventoryItem")
    return _model(info).variants_by_item.get(iid) if iid is not None else None


def locations(_root: Any, info: Info, reverse: bool = False, **page: Any) -> dict[str, Any]:
    """``locations(first, after, last, before, reverse)``."""
    items = list(_model(info).locations.values())
    return paginate(items, lambda loc: (loc.id, loc.id), page, reverse=reverse)


def location(_root: Any, info: Info, id: str | None = None) -> Location | None:
    """``location(id)``; without an id, the primary location (as Shopify)."""
    model = _model(info)
    lid = parse_gid(id, "Location") if id is not None else q.primary_location_id(model)
    return model.locations.get(lid) if lid is not None else None


# -- object types ----------------------------------------------------------------------------


def _levels(v: Variant, info: Info, **page: Any) -> dict[str, Any]:
    model = _model(info)
    refs = [
        LevelRef(v, model.locations[lid])
        for (iid, lid) in model.levels
        if iid == v.inventory_item_id and lid in model.locations
    ]
    return paginate(refs, lambda r: (r.location.id, r.location.id), page)


def _level(v: Variant, info: Info, locationId: str) -> LevelRef | None:
    model = _model(info)
    lid = parse_gid(locationId, "Location")
    if lid is None or (v.inventory_item_id, lid) not in model.levels:
        return None
    return LevelRef(v, model.locations[lid])


def _quantities(ref: LevelRef, info: Info, names: list[str]) -> list[dict[str, Any]]:
    model = _model(info)
    item_id, lid = ref.variant.inventory_item_id, ref.location.id
    level = model.levels.get((item_id, lid))
    updated = iso_utc(level.updated_ts, millis=False) if level is not None else None
    return [
        {
            "id": f"{gid('InventoryQuantity', lid)}?inventory_item_id={item_id}&name={name}",
            "name": name,
            "quantity": q.quantity(model, item_id, lid, name),
            "updatedAt": updated,
        }
        for name in names
        if name in q.QUANTITY_NAMES  # Shopify returns nothing for names it does not know
    ]


def _level_id(ref: LevelRef, _info: Info) -> str:
    # Shopify's level ids carry the item as a query string on the location-scoped gid.
    item_id = ref.variant.inventory_item_id
    return f"{gid('InventoryLevel', ref.location.id)}?inventory_item_id={item_id}"


def _level_updated(ref: LevelRef, info: Info) -> str:
    level = _model(info).levels.get((ref.variant.inventory_item_id, ref.location.id))
    return iso_utc(
        level.updated_ts if level is not None else _model(info).clock.now(), millis=False
    )


TYPE_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "shop": shop,
        "products": products,
        "product": product,
        "productVariants": product_variants,
        "productVariant": product_variant,
        "inventoryItems": inventory_items,
        "inventoryItem": inventory_item,
        "locations": locations,
        "location": location,
    },
    "Location": {
        "id": lambda loc, _i: gid("Location", loc.id),
        "legacyResourceId": lambda loc, _i: str(loc.id),
        "name": lambda loc, _i: loc.name,
        "isActive": lambda loc, _i: loc.active,
    },
    "Product": {
        "id": lambda p, _i: gid("Product", p.id),
        "legacyResourceId": lambda p, _i: str(p.id),
        "title": lambda p, _i: p.title,
        "totalInventory": lambda p, i: sum(
            _total_available(_model(i), v.inventory_item_id) for v in p.variants
        ),
        "variants": lambda p, _i, **page: paginate(p.variants, lambda v: (v.id, v.id), page),
    },
    "ProductVariant": {
        "id": lambda v, _i: gid("ProductVariant", v.id),
        "legacyResourceId": lambda v, _i: str(v.id),
        "title": lambda v, _i: v.title,
        "sku": lambda v, _i: v.sku,
        "price": lambda v, _i: shopify_decimal(v.price),
        "inventoryQuantity": lambda v, i: _total_available(_model(i), v.inventory_item_id),
        "inventoryItem": lambda v, _i: v,
        "product": lambda v, i: _model(i).products[v.product_id],
    },
    "InventoryItem": {
        "id": lambda v, _i: gid("InventoryItem", v.inventory_item_id),
        "legacyResourceId": lambda v, _i: str(v.inventory_item_id),
        "sku": lambda v, _i: v.sku,
        "tracked": lambda _v, _i: True,
        "variant": lambda v, _i: v,
        "inventoryLevel": _level,
        "inventoryLevels": _levels,
    },
    "InventoryLevel": {
        "id": _level_id,
        "location": lambda r, _i: r.location,
        "item": lambda r, _i: r.variant,
        "updatedAt": _level_updated,
        "quantities": _quantities,
    },
}
