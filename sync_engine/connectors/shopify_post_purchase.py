"""Shopify after the checkout: fulfilments pushed, refunds and payouts read (REST Admin API).

**Fulfilment** (:func:`push_fulfilment`) goes through fulfillment orders: one read of the
order's ``line_items`` and ``fulfillments``, one of its fulfillment orders, then one
``POST fulfillments.json`` per location (Shopify refuses a fulfilment spanning two). The
tracking number is the idempotency key: units already in a fulfilment carrying it count as
shipped, so a retry after an unknown outcome (or after one location of two went through)
ships only what is missing, and a complete one sends nothing. What cannot be shipped (unknown
SKU, units refunded, shipped under another number, or the order cancelled) is refused whole,
before any write, as a :class:`~sync_engine.errors.RecordRejected`.

**Refunds** (:func:`refunds_since`) are found without one call per order: orders whose
``financial_status`` is ``partially_refunded`` or ``refunded`` (one listing each: the filter
takes one value), ``updated_at_min`` the cursor's second, ``fields=id,updated_at,refunds``, so
every refund arrives inline. A poll costs two calls plus one per further 250 refunded orders,
where listing every updated order would cost one per 250 *changed* orders (every fulfilment
changes one). Limit: a refund that moves no money (lines restocked, nothing paid back) leaves
the order ``paid`` and is not listed; the ``refunds/create`` webhook carries it
(:func:`refund_from_wire` reads that body). The cursor is ``<created_at ms>|<ids>``: the
newest creation time handed out and the refunds already handed out at exactly that time, so
a refund created later in the same second is still found and none is handed out twice.

**Payouts** (:func:`payouts_since`) come from ``shopify_payments/payouts.json`` (``since_id``)
with the payout's ``summary``; a payout without one is summed from its balance transactions.
Either way ``net == gross − refunds − fees + adjustments`` must hold to the cent, else the
payout is refused (``PAYOUT_UNBALANCED``) rather than journaled wrong. Only ``paid`` payouts
are handed out; ``failed``/``canceled`` ones are stepped over (their money comes back as a
retried payout); a scheduled or in-transit one stops the read, so the cursor never passes it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simclock import parse_iso_utc
from sync_engine.errors import RecordRejected
from sync_engine.model import Payout, Refund

if TYPE_CHECKING:
    from sync_engine.connectors.shopify_rest import ShopifyRest

ZERO = Decimal("0")
FULFILLABLE = frozenset({"open", "in_progress"})
"""Fulfillment order statuses that still take a fulfilment."""
VOID_FULFILMENT = frozenset({"cancelled", "error", "failure"})
"""Fulfilment statuses whose units did not ship."""
PAID, SKIPPED = frozenset({"paid"}), frozenset({"failed", "canceled", "cancelled"})
SUMMARY_KINDS = ("charges", "refunds", "adjustments", "reserved_funds", "retried_payouts")


def _money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


# -- fulfilment -------------------------------------------------------------------------------


def _skus(order: dict[str, Any]) -> dict[int, str]:
    """Line item id → SKU."""
    return {int(li["id"]): str(li.get("sku") or "") for li in order.get("line_items") or []}


def shipped_under(order: dict[str, Any], tracking_number: str) -> Counter[int]:
    """Units per line item id already in fulfilments carrying ``tracking_number``."""
    done: Counter[int] = Counter()
    for f in order.get("fulfillments") or []:
        numbers = list(f.get("tracking_numbers") or [])
        if f.get("tracking_number"):
            numbers.append(f["tracking_number"])
        if tracking_number in numbers and f.get("status") not in VOID_FULFILMENT:
            for item in f.get("line_items") or []:
                done[int(item["id"])] += int(item["quantity"])
    return done


def plan_fulfilments(
    order: dict[str, Any],
    fulfillment_orders: list[dict[str, Any]],
    *,
    lines: list[tuple[str, int]] | None,
    done: Counter[int],
) -> dict[int, list[dict[str, Any]]]:
    """``line_items_by_fulfillment_order`` groups per location for what is left to ship.

    ``lines=None`` ships every unit still fulfillable; otherwise (sku, quantity) pairs less
    the units ``done`` under this tracking number. Refuses (nothing sent) what cannot ship.
    """
    open_fos = [fo for fo in fulfillment_orders if fo.get("status") in FULFILLABLE]
    plan: dict[int, list[dict[str, Any]]] = {}
    if lines is None:
        for fo in open_fos:
            if any(int(li["fulfillable_quantity"]) > 0 for li in fo["line_items"]):
                group = {"fulfillment_order_id": fo["id"]}  # items omitted: all remaining
                plan.setdefault(int(fo["assigned_location_id"]), []).append(group)
        return plan
    sku_of = _skus(order)
    left: Counter[str] = Counter()
    for sku, quantity in lines:
        left[sku] += quantity
    for line_id, quantity in done.items():
        left[sku_of.get(line_id, "")] -= quantity
    for fo in open_fos:
        items = []
        for li in fo["line_items"]:
            sku = sku_of.get(int(li["line_item_id"]), "")
            take = min(left[sku], int(li["fulfillable_quantity"]))
            if take > 0:
                items.append({"id": li["id"], "quantity": take})
                left[sku] -= take
        if items:
            group = {"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": items}
            plan.setdefault(int(fo["assigned_location_id"]), []).append(group)
    missing = {sku: n for sku, n in left.items() if n > 0}
    if missing:
        detail = ", ".join(f"{n} x {sku or '(no sku)'}" for sku, n in sorted(missing.items()))
        raise RecordRejected(
            f"shopify order {order.get('id')}: {detail} not fulfillable (not on the order, "
            "refunded, cancelled or shipped under another tracking number)",
            code="SHOPIFY_UNITS_NOT_FULFILLABLE",
        )
    return plan


async def push_fulfilment(
    rest: ShopifyRest,
    order_id: str,
    *,
    tracking_number: str,
    carrier: str,
    lines: list[tuple[str, int]] | None,
) -> int:
    """Ship what is left of ``lines`` (all when None) with this tracking; returns how many
    fulfilments were created (0 when a fulfilment with this number already covers it)."""
    order = await rest.order_resource(order_id, "id,line_items,fulfillments")
    done = shipped_under(order, tracking_number)
    wanted = None if lines is None else [(sku, qty) for sku, qty in lines if qty > 0]
    if done and (
        _covered(order, wanted, done)
        if wanted is not None
        else all(int(li.get("fulfillable_quantity") or 0) == 0 for li in order["line_items"])
    ):
        return 0  # a retry of a push that went through: no second fulfilment
    fos = await rest.fulfillment_orders(order_id)
    plan = plan_fulfilments(order, fos, lines=wanted, done=done)
    if not plan:
        if done:
            return 0  # lines=None and everything left already went out under this number
        raise RecordRejected(
            f"shopify order {order_id}: nothing left to fulfil (cancelled, or shipped "
            f"under other tracking numbers); tracking {tracking_number} not recorded",
            code="SHOPIFY_NOTHING_TO_FULFIL",
        )
    for _location, groups in sorted(plan.items()):
        await rest.create_fulfillment(
            {
                "line_items_by_fulfillment_order": groups,
                "tracking_info": {"company": carrier, "number": tracking_number},
                "notify_customer": False,
            }
        )
    return len(plan)


def _covered(order: dict[str, Any], wanted: list[tuple[str, int]], done: Counter[int]) -> bool:
    """Whether the units ``done`` under the tracking number include every wanted unit."""
    sku_of = _skus(order)
    shipped: Counter[str] = Counter()
    for line_id, qty in done.items():
        shipped[sku_of.get(line_id, "")] += qty
    needed: Counter[str] = Counter()
    for sku, qty in wanted:
        needed[sku] += qty
    return all(shipped[sku] >= qty for sku, qty in needed.items())


# -- refunds ----------------------------------------------------------------------------------


def refund_from_wire(wire: dict[str, Any], *, channel: str) -> Refund:
    """A REST refund (``orders/{id}/refunds.json`` item or ``refunds/create`` body).

    ``amount`` is the money paid back (successful ``refund`` transactions), ``shipping`` the
    part of it that was shipping (``shipping_refund`` adjustments, tax included); a line
    restocks unless its ``restock_type`` is ``no_restock``."""
    lines = tuple(
        (
            str((rli.get("line_item") or {}).get("sku") or ""),
            int(rli["quantity"]),
            str(rli.get("restock_type") or "no_restock") != "no_restock",
        )
        for rli in wire.get("refund_line_items") or []
    )
    amount = sum(
        (
            _money(t["amount"])
            for t in wire.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ),
        ZERO,
    )
    shipping = sum(
        (
            -(_money(a.get("amount") or 0) + _money(a.get("tax_amount") or 0))
            for a in wire.get("order_adjustments") or []
            if a.get("kind") == "shipping_refund"
        ),
        ZERO,
    )
    return Refund(
        refund_id=str(wire["id"]),
        channel=channel,
        order_id=str(wire["order_id"]),
        lines=lines,
        amount=amount,
        shipping=shipping,
    )


@dataclass(frozen=True)
class RefundCursor:
    """Refunds up to ``at_ms`` are handed out, and at ``at_ms`` exactly those in ``seen``."""

    at_ms: int = 0
    seen: frozenset[str] = frozenset()

    @classmethod
    def decode(cls, text: str | None) -> RefundCursor:
        if not text:
            return cls()
        at, _, ids = text.partition("|")
        return cls(int(at), frozenset(i for i in ids.split(",") if i))

    def encode(self) -> str:
        return f"{self.at_ms}|{','.join(sorted(self.seen, key=lambda i: (len(i), i)))}"

    def after(self, at_ms: int, refund_id: str) -> bool:
        """Whether a refund created at ``at_ms`` is still to be handed out."""
        return at_ms > self.at_ms or (at_ms == self.at_ms and refund_id not in self.seen)

    def advance(self, at_ms: int, refund_id: str) -> RefundCursor:
        """The cursor once this (later or same-instant) refund is handed out."""
        if at_ms == self.at_ms:
            return RefundCursor(at_ms, self.seen | {refund_id})
        return RefundCursor(at_ms, frozenset({refund_id}))


async def refunds_since(
    rest: ShopifyRest, channel: str, cursor: str | None, *, page_size: int
) -> AsyncIterator[tuple[list[Refund], str]]:
    """Refunds after ``cursor``, oldest first, ``page_size`` at a time with their cursors."""
    start = RefundCursor.decode(cursor)
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    async for page in rest.refunded_orders(start.at_ms // 1000 if start.at_ms else None):
        for order in page:
            for wire in order.get("refunds") or []:
                at_ms = round(parse_iso_utc(str(wire["created_at"])) * 1000)
                if start.after(at_ms, str(wire["id"])):
                    found[str(wire["id"])] = (at_ms, wire)
    ordered = sorted(found.items(), key=lambda kv: (kv[1][0], len(kv[0]), kv[0]))
    position = start
    for chunk in _chunks(ordered, page_size):
        refunds = []
        for refund_id, (at_ms, wire) in chunk:
            refunds.append(refund_from_wire(wire, channel=channel))
            position = position.advance(at_ms, refund_id)
        yield refunds, position.encode()


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start : start + max(1, size)]


# -- payouts ----------------------------------------------------------------------------------


def payout_from_summary(wire: dict[str, Any], *, channel: str) -> Payout:
    """A payout from its ``summary``: gross = charges, refunds = −refunds gross (Shopify
    reports it negative), fees = every ``*_fee_amount``, adjustments = the signed gross of
    adjustments, reserved funds and retried payouts; net = ``amount``."""
    s = wire["summary"]
    return _balanced(
        wire,
        channel=channel,
        gross=_money(s["charges_gross_amount"]),
        refunds=-_money(s["refunds_gross_amount"]),
        fees=sum((_money(s.get(f"{k}_fee_amount") or 0) for k in SUMMARY_KINDS), ZERO),
        adjustments=sum((_money(s.get(f"{k}_gross_amount") or 0) for k in SUMMARY_KINDS[2:]), ZERO),
    )


def payout_from_transactions(
    wire: dict[str, Any], transactions: list[dict[str, Any]], *, channel: str
) -> Payout:
    """A payout summed from its balance transactions (the ``payout`` row itself left out):
    charges are gross, refunds are refunds, everything else is an adjustment; every fee is
    a fee."""
    gross = refunds = fees = adjustments = ZERO
    for t in transactions:
        kind, amount = str(t.get("type")), _money(t["amount"])
        if kind == "payout":
            continue
        fees += _money(t.get("fee") or 0)
        if kind == "charge":
            gross += amount
        elif kind == "refund":
            refunds -= amount
        else:
            adjustments += amount
    return _balanced(
        wire, channel=channel, gross=gross, refunds=refunds, fees=fees, adjustments=adjustments
    )


def _balanced(
    wire: dict[str, Any],
    *,
    channel: str,
    gross: Decimal,
    refunds: Decimal,
    fees: Decimal,
    adjustments: Decimal,
) -> Payout:
    net = _money(wire["amount"])
    if net != gross - refunds - fees + adjustments:
        raise RecordRejected(
            f"shopify payout {wire['id']}: net {net} != gross {gross} - refunds {refunds} - "
            f"fees {fees} + adjustments {adjustments}",
            code="PAYOUT_UNBALANCED",
        )
    return Payout(
        payout_id=str(wire["id"]),
        channel=channel,
        currency=str(wire["currency"]),
        date=str(wire["date"]),
        gross=gross,
        refunds=refunds,
        fees=fees,
        net=net,
        adjustments=adjustments,
    )


async def payouts_since(
    rest: ShopifyRest, channel: str, cursor: str | None
) -> AsyncIterator[tuple[list[Payout], str]]:
    """Paid payouts with an id above ``cursor``, oldest first, one page per listing page."""
    since = int(cursor or 0)
    wires: dict[int, dict[str, Any]] = {}
    async for page in rest.payouts(since):
        wires.update({int(p["id"]): p for p in page})
    batch: list[Payout] = []
    handed = since
    for payout_id in sorted(wires):
        wire = wires[payout_id]
        status = str(wire.get("status"))
        if status not in PAID | SKIPPED:
            break  # not settled yet: the cursor must not pass it
        if status in PAID:
            if wire.get("summary"):
                batch.append(payout_from_summary(wire, channel=channel))
            else:
                txns = await rest.balance_transactions(str(payout_id))
                batch.append(payout_from_transactions(wire, txns, channel=channel))
        since = payout_id
        if len(batch) >= rest.dest.page_limit:
            yield batch, str(since)
            batch, handed = [], since
    if since != handed:  # the rest, or only failed payouts stepped over (an empty page)
        yield batch, str(since)
