"""The Fulfil mock as plain Python: tables, stock, the RPC dispatcher and the control hooks.

No HTTP here (moto's ``models.py`` shape). One :class:`FulfilModel` per app instance holds
every record table, the stock book, the simulated warehouse, the API keys, webhook
subscriptions and counters. Every operation is synchronous, so on one event loop each is
atomic. Every API operation first replays the warehouse's transitions due by now
(``shipments.tick``), so reads after a clock advance see the states the clock implies.
Case-folded value indexes (SKU, sale reference and channel identifier, party e-mail/phone)
let the equality and wildcard-free ``ilike`` lookups a sync engine makes per order skip the
full scan; the domain is still evaluated on every candidate.

RPC (``PUT /model/{model}/{method}``, PLATFORMS 4.1): ``search``, ``read``, ``search_read``,
``search_count``, ``create``, ``write``, ``delete`` on every model (writes where the model
allows them, see ``catalog.py`` and ``orders.py``), the ``sale.sale`` buttons (``workflow.py``) and
``product.product.get_product_inventory``. A ``create`` of several records is not one
transaction: records before a refused one stay created* (a sale with inline lines is
validated whole first, so an unknown SKU leaves nothing behind).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from mocks.common.rng import derive
from mocks.common.webhooks import WebhookOutbox
from mocks.fulfil import catalog, orders, shipments, workflow
from mocks.fulfil.constants import STOCK_MOVEMENT_REASONS, FulfilSettings
from mocks.fulfil.errors import (
    InsufficientStock,
    NotFound,
    UnknownLocation,
    UnknownSku,
    UserError,
)
from mocks.fulfil.gate import CallStats, KeyRing
from mocks.fulfil.notify import Subscription, emit
from mocks.fulfil.orm import Orm
from mocks.fulfil.records import (
    Address,
    Channel,
    ContactMechanism,
    Location,
    Move,
    Party,
    Product,
    Sale,
    SaleLine,
    Shipment,
)
from mocks.fulfil.schemas import (
    FindQuery,
    fields_arg,
    ids_arg,
    int_arg,
    parse_stock_movement,
)
from mocks.fulfil.seeding import seed_payload, snapshot
from mocks.fulfil.shipments import Warehouse
from mocks.fulfil.specs import Context, build_specs
from mocks.fulfil.stock import StockBook
from mocks.fulfil.wire import from_wire, timestamp_to_datetime, to_wire
from simclock import Clock, iso_utc

Creator = Callable[["FulfilModel", Any], int]
Writer = Callable[["FulfilModel", Any, Any], None]

CREATORS: dict[str, Creator] = {
    "product.product": catalog.create_product,
    "party.party": catalog.create_party,
    "party.contact_mechanism": catalog.create_mechanism,
    "party.address": catalog.create_address,
    "sale.sale": orders.create_sale,
    "sale.line": orders.create_line,
}
WRITERS: dict[str, Writer] = {
    "product.product": catalog.write_product,
    "party.party": catalog.write_party,
    "sale.sale": orders.write_sale,
    "sale.line": orders.write_line,
}
DELETERS: dict[str, Callable[[FulfilModel, Any], None]] = {
    "sale.sale": orders.delete_sale,
    "sale.line": orders.delete_line,
}
GENERIC_METHODS = frozenset(
    {"search", "read", "search_read", "search_count", "create", "write", "delete"}
)


class FulfilModel:
    """All state of one mocked Fulfil instance."""

    def __init__(
        self,
        *,
        settings: FulfilSettings,
        clock: Clock,
        seed: int,
        outbox: WebhookOutbox,
        api_key: str,
        webhook_key: bytes,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.seed_value = seed
        self.outbox = outbox
        self.webhook_key = webhook_key
        self.keys = KeyRing(
            configured=api_key,
            clock=clock,
            rng=derive(seed, "fulfil:keys"),
            limit=settings.requests_per_minute,
            window=settings.rate_limit_window_seconds,
        )
        self.call_stats = CallStats()
        self.orm = Orm(self, build_specs())
        self.wake: Callable[[], None] = lambda: None
        """Set by the app: nudges the clock-driven worker when a shipment is scheduled."""
        self.reset()

    # ------------------------------------------------------------------ control (/_mock/)
    def reset(self) -> None:
        """Empty tables, fresh counters and keys, empty outbox; settings subscriptions stay."""
        self.locations: dict[int, Location] = {}
        self.channels: dict[int, Channel] = {1: Channel(id=1, name="Default", code="default")}
        self.products: dict[int, Product] = {}
        self.products_by_code: dict[str, int] = {}
        self.parties: dict[int, Party] = {}
        self.contact_mechanisms: dict[int, ContactMechanism] = {}
        self.addresses: dict[int, Address] = {}
        self.sales: dict[int, Sale] = {}
        self.sale_lines: dict[int, SaleLine] = {}
        self.shipments: dict[int, Shipment] = {}
        self.moves: dict[int, Move] = {}
        self.stock = StockBook()
        self.index: defaultdict[str, defaultdict[str, set[int]]] = defaultdict(
            lambda: defaultdict(set)
        )
        self.warehouse = Warehouse(derive(self.seed_value, "fulfil:carriers"))
        self._ids: dict[str, int] = {"sale.channel": 2}
        self._sale_number = 1000
        self.subscriptions: dict[int, Subscription] = {}
        for sub in self.settings.webhooks:
            self.add_subscription(sub.event, sub.url, source="settings")
        self.keys.reset()
        self.call_stats.clear()
        self.outbox.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Warehouses, channels, products with stock per warehouse, parties (seeding.py)."""
        self.tick()
        result = seed_payload(self, payload)
        self.warehouse.stock_freed = True
        self.tick()
        return result

    def state(self) -> dict[str, Any]:
        """Ground truth for the checkers (seeding.py)."""
        self.tick()
        return snapshot(self)

    def stats(self) -> dict[str, Any]:
        """Call counters, 429s, user errors, records and webhook counters."""
        return {
            **self.call_stats.as_dict(),
            "requests_per_minute": self.settings.requests_per_minute,
            "sales": len(self.sales),
            "shipments": len(self.shipments),
            "webhooks": self.outbox.counters().as_dict(),
        }

    # ------------------------------------------------------------------ ids and events
    def peek_id(self, model: str) -> int:
        """The id the next record of ``model`` will get."""
        return self._ids.get(model, 1)

    def next_id(self, model: str) -> int:
        """Take the next id of ``model`` (per model, from 1)."""
        value = self.peek_id(model)
        self._ids[model] = value + 1
        return value

    def next_sale_number(self) -> str:
        """``SO1001``, ``SO1002``... given when a sale is quoted."""
        self._sale_number += 1
        return f"SO{self._sale_number}"

    def reindex(self, name: str, old: str | None, new: str | None, rid: int) -> None:
        """Move ``rid`` from ``old`` to ``new`` in the case-folded value index ``name``."""
        if old is not None:
            self.index[name][old.casefold()].discard(rid)
        if new is not None:
            self.index[name][new.casefold()].add(rid)

    def lookup(self, name: str, value: str) -> set[int]:
        """Ids whose indexed value case-folds to ``value``'s (a superset of exact matches)."""
        return set(self.index[name].get(value.casefold(), ()))

    def tick(self) -> None:
        """Replay the warehouse's transitions due by now."""
        shipments.tick(self)

    def add_subscription(self, event: str, url: str, *, source: str) -> Subscription:
        """Subscribe ``url`` to ``event`` (or ``*``)."""
        sub = Subscription(id=self.next_id("webhook"), event=event, url=url, source=source)
        self.subscriptions[sub.id] = sub
        return sub

    def notify(self, event: str, model: str, obj: Any) -> None:
        """Queue ``event`` for ``obj`` to its subscribers."""
        if not any(s.event in (event, "*") for s in self.subscriptions.values()):
            return
        spec = self.orm.spec(model)
        payload = {
            "event": event,
            "model": model,
            "id": obj.id,
            "data": to_wire(self.orm.render(spec, obj, None, {})),
            "created_at": iso_utc(self.clock.now()),
        }
        emit(
            outbox=self.outbox,
            subscriptions=self.subscriptions.values(),
            event=event,
            payload=payload,
            key=self.webhook_key,
            subdomain=self.settings.subdomain,
        )

    def stock_changed(self, product_ids: set[int]) -> None:
        """``product.product.stock_changed`` once per product, in id order."""
        for pid in sorted(product_ids):
            self.notify("product.product.stock_changed", "product.product", self.products[pid])

    def orm_create(self, model: str, values: dict[str, Any]) -> int:
        """Create one record through the same rules as the API (used by seeding)."""
        return CREATORS[model](self, from_wire(values))

    # ------------------------------------------------------------------ API operations
    def find(self, model: str, query: FindQuery) -> list[dict[str, Any]]:
        """``GET /model/{model}``: one page of matching records."""
        self.tick()
        spec = self.orm.spec(model)
        self.orm.check_fields(spec, query.fields)
        offset = (query.page - 1) * query.per_page
        hits = self.orm.search(
            spec,
            query.domain,
            offset=offset,
            limit=query.per_page,
            order=query.order,
            ctx=query.context,
        )
        return [self.orm.render(spec, obj, query.fields, query.context) for obj in hits]

    def get(self, model: str, record_id: str, ctx: Context) -> dict[str, Any]:
        """``GET /model/{model}/{id}``: every field of one record (404 when absent)."""
        self.tick()
        spec = self.orm.spec(model)
        obj = self.orm.table(spec).get(int(record_id)) if record_id.isdecimal() else None
        if obj is None:
            raise NotFound(f'Record "{model},{record_id}" does not exist.')
        return self.orm.render(spec, obj, None, ctx)

    def call(self, model: str, method: str, args: list[Any], ctx: Context) -> Any:
        """``PUT /model/{model}/{method}`` with positional ``args``."""
        self.tick()
        spec = self.orm.spec(model)
        self.call_stats.by_method[f"{model}.{method}"] += 1
        if method in GENERIC_METHODS:
            result = getattr(self, f"_rpc_{method}")(spec, args, ctx)
        elif model == "sale.sale" and method in workflow.BUTTONS:
            ids = ids_arg(_arg(args, 0, None), "ids")
            workflow.press(self, method, [self.orm.get(spec, i) for i in ids])
            result = None
        elif model == "product.product" and method == "get_product_inventory":
            result = self._product_inventory(args)
        else:
            raise NotFound(f'Method "{method}" does not exist on model "{model}".')
        self.tick()
        return result

    def _rpc_search(self, spec: Any, args: list[Any], ctx: Context) -> list[int]:
        hits = self._search(spec, args, ctx)
        return [obj.id for obj in hits]

    def _search(self, spec: Any, args: list[Any], ctx: Context) -> list[Any]:
        offset = int_arg(_arg(args, 1, 0), "offset", default=0) or 0
        limit = int_arg(_arg(args, 2, None), "limit", default=None, minimum=1)
        return self.orm.search(
            spec, _arg(args, 0, []), offset=offset, limit=limit, order=_arg(args, 3, None), ctx=ctx
        )

    def _rpc_read(self, spec: Any, args: list[Any], ctx: Context) -> list[dict[str, Any]]:
        ids = ids_arg(_arg(args, 0, None))
        fields = fields_arg(_arg(args, 1, None))
        self.orm.check_fields(spec, fields)
        return [self.orm.render(spec, self.orm.get(spec, i), fields, ctx) for i in ids]

    def _rpc_search_read(self, spec: Any, args: list[Any], ctx: Context) -> list[dict[str, Any]]:
        fields = fields_arg(_arg(args, 4, None))
        self.orm.check_fields(spec, fields)
        return [self.orm.render(spec, obj, fields, ctx) for obj in self._search(spec, args, ctx)]

    def _rpc_search_count(self, spec: Any, args: list[Any], ctx: Context) -> int:
        return len(self.orm.search(spec, _arg(args, 0, []), ctx=ctx))

    def _rpc_create(self, spec: Any, args: list[Any], ctx: Context) -> list[int]:
        creator = CREATORS.get(spec.name)
        if creator is None:
            raise UserError(f'Records of "{spec.name}" cannot be created through the API.')
        values = _arg(args, 0, None)
        if not isinstance(values, list):
            raise UserError(f"create expects a list of value objects, got {values!r}.")
        return [creator(self, v) for v in values]

    def _rpc_write(self, spec: Any, args: list[Any], ctx: Context) -> None:
        writer = WRITERS.get(spec.name)
        if writer is None:
            raise UserError(f'Records of "{spec.name}" cannot be written through the API.')
        if not args or len(args) % 2:
            raise UserError("write expects pairs of arguments: ids, values[, ids, values...].")
        pairs = [(ids_arg(args[i]), args[i + 1]) for i in range(0, len(args), 2)]
        for ids, values in pairs:
            for obj in [self.orm.get(spec, i) for i in ids]:
                writer(self, obj, values)

    def _rpc_delete(self, spec: Any, args: list[Any], ctx: Context) -> None:
        deleter = DELETERS.get(spec.name)
        if deleter is None:
            raise UserError(f'Records of "{spec.name}" cannot be deleted through the API.')
        for obj in [self.orm.get(spec, i) for i in ids_arg(_arg(args, 0, None))]:
            deleter(self, obj)

    def _product_inventory(self, args: list[Any]) -> dict[str, Any]:
        """``get_product_inventory(product_ids, warehouse_ids)`` ->
        ``{product: {warehouse: {quantity_on_hand, quantity_available}}}`` (keys as strings)."""
        spec = self.orm.spec("product.product")
        products = [self.orm.get(spec, i).id for i in ids_arg(_arg(args, 0, None), "product ids")]
        raw_locations = _arg(args, 1, None)
        locations = (
            sorted(self.locations)
            if raw_locations is None
            else ids_arg(raw_locations, "warehouse ids")
        )
        for loc in locations:
            if loc not in self.locations:
                raise UserError(f"Warehouse with id {loc} does not exist.")
        return {
            str(p): {
                str(loc): {
                    "quantity_on_hand": self.stock.on_hand.get((p, loc), 0),
                    "quantity_available": self.stock.available((p, loc)),
                }
                for loc in locations
            }
            for p in products
        }

    # ------------------------------------------------------------------ simulation
    def stock_movement(self, body: Any) -> dict[str, Any]:
        """``/_sim/stock-movement``: a receipt, or a sale by another channel (never beyond
        what is available to sell)."""
        self.tick()
        move = parse_stock_movement(body, STOCK_MOVEMENT_REASONS)
        pid = self.products_by_code.get(move.sku)
        if pid is None:
            raise UnknownSku(f"unknown sku {move.sku!r}", sku=move.sku)
        if move.location_id not in self.locations:
            raise UnknownLocation(
                f"unknown location {move.location_id!r}", location_id=move.location_id
            )
        key = (pid, move.location_id)
        available = self.stock.available(key)
        if move.delta < 0 and -move.delta > available:
            raise InsufficientStock(
                f"cannot remove {-move.delta} units of {move.sku} at location "
                f"{move.location_id}: only {available} available",
                sku=move.sku,
                location_id=move.location_id,
                requested=-move.delta,
                available=available,
            )
        if move.delta:
            self.stock.on_hand[key] += move.delta
            self.products[pid].write_ts = self.clock.now()
            if move.delta > 0:
                self.warehouse.stock_freed = True
            self.stock_changed({pid})
        self.tick()
        return {
            "sku": move.sku,
            "location_id": move.location_id,
            "reason": move.reason,
            "delta": move.delta,
            "on_hand": self.stock.on_hand[key],
            "reserved": self.stock.reserved[key],
            "available": self.stock.available(key),
            "write_date": timestamp_to_datetime(self.clock.now()).isoformat(),
        }


def _arg(args: list[Any], index: int, default: Any) -> Any:
    return args[index] if len(args) > index else default
