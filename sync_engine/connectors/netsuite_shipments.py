"""Shipments from item fulfilments, read with SuiteQL: the queries, the cursor, the mapping.

A fulfilment is a shipment once its ``shipStatus`` is C (Shipped). One may be created Picked
(A) or Packed (B) and shipped later by an edit, so a cursor that only said "after id N" would
pass it by for good. The cursor is therefore ``if1:{N}`` (every fulfilment up to internal id N
has been seen) plus ``:{id},{id}…`` for those seen but not yet shipped, which the next read
asks for again by id. Internal ids grow with creation, so fulfilments created in the same
instant are told apart and none is skipped; each shipped fulfilment is returned exactly once.

Lines are the fulfilment's inventory items only (``inventoryitemlocations`` exists for
them): a discount or other non-inventory sale item rides along on NetSuite fulfilments but is
nothing a channel can ship. The channel and its order id come from the sales order's
``custbody_rh_channel`` / ``custbody_rh_channel_order_id``, which the connector writes on
upsert; fulfilments of sales orders without them (not ours) are passed over.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from sync_engine.model import Shipment

SuiteQL = Callable[..., Awaitable[dict[str, Any]]]
"""One page of a query: ``suiteql(q, offset=0)`` → ``{items, hasMore, …}``."""
CURSOR_PREFIX = "if1"
SHIPPED = "C"


def parse_cursor(cursor: str | None) -> tuple[int, list[int]]:
    """(last internal id seen, ids seen but not yet shipped); ``ValueError`` if malformed."""
    if not cursor:
        return 0, []
    parts = cursor.split(":")
    if parts[0] != CURSOR_PREFIX or len(parts) not in (2, 3) or not parts[1].isdigit():
        raise ValueError(f"not a netsuite-rest-v1 shipments cursor: {cursor!r}")
    pending = [int(p) for p in parts[2].split(",") if p] if len(parts) == 3 else []
    return int(parts[1]), pending


def format_cursor(last_id: int, pending: Iterable[int]) -> str:
    waiting = ",".join(str(i) for i in sorted(set(pending)))
    return f"{CURSOR_PREFIX}:{last_id}" + (f":{waiting}" if waiting else "")


def _ids(ids: Iterable[int]) -> str:
    return ", ".join(str(int(i)) for i in ids)


def header_query(*, last_id: int, pending: list[int], after: int) -> str:
    """Fulfilments created after ``last_id`` or still pending, from id ``after`` on."""
    scope = f"f.id > {int(last_id)}"
    if pending:
        scope = f"({scope} OR f.id IN ({_ids(pending)}))"
    return (
        "SELECT f.id, f.status, f.shipcarrier, f.shipmethod, f.trackingnumbers, "
        "so.custbody_rh_channel AS channel, "
        "so.custbody_rh_channel_order_id AS channel_order_id "
        "FROM transaction f JOIN transaction so ON so.id = f.createdfrom "
        f"WHERE f.type = 'ItemShip' AND {scope} AND f.id > {int(after)} "
        "ORDER BY f.id"
    )


def lines_query(fulfilment_ids: Iterable[int]) -> str:
    """The inventory lines of the given fulfilments, in line order."""
    return (
        "SELECT tl.transaction AS fulfilment, tl.linesequencenumber AS line, tl.quantity, "
        "i.itemid AS sku "
        "FROM transactionline tl JOIN item i ON i.id = tl.item "
        f"WHERE tl.transaction IN ({_ids(fulfilment_ids)}) "
        "AND EXISTS (SELECT 1 FROM inventoryitemlocations il WHERE il.item = tl.item) "
        "ORDER BY tl.transaction, tl.linesequencenumber"
    )


def is_ours(row: dict[str, Any]) -> bool:
    """Shipped, and of a sales order the connector wrote."""
    return row.get("status") == SHIPPED and bool(row.get("channel"))


def shipment_from(row: dict[str, Any], lines: list[tuple[str, int]]) -> Shipment | None:
    """The shipment of one fulfilment row; None when nothing on it is an inventory item."""
    if not lines:
        return None
    tracking = [t.strip() for t in str(row.get("trackingnumbers") or "").split(",") if t.strip()]
    return Shipment(
        shipment_id=str(row["id"]),
        channel=str(row["channel"]),
        order_id=str(row.get("channel_order_id") or ""),
        lines=tuple(lines),
        carrier=str(row.get("shipcarrier") or row.get("shipmethod") or ""),
        tracking_number=tracking[0] if tracking else "",
    )


async def _lines(suiteql: SuiteQL, ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Inventory lines by fulfilment id, every page (the id set is fixed, so offsets hold)."""
    lines: dict[int, list[tuple[str, int]]] = {}
    offset = 0
    while ids:
        page = await suiteql(lines_query(ids), offset=offset)
        rows = page.get("items", [])
        for row in rows:
            lines.setdefault(int(row["fulfilment"]), []).append(
                (str(row["sku"]), int(row["quantity"]))
            )
        if not page.get("hasMore") or not rows:
            break
        offset += len(rows)
    return lines


async def read_shipments(suiteql: SuiteQL, cursor: str | None) -> tuple[list[Shipment], str | None]:
    """Shipments after ``cursor``, oldest first, and the cursor to resume from.

    Pages of fulfilments by id (keyset, so fulfilments created meanwhile never shift a
    page), each followed by one query for the lines of its shipped ones: about two calls
    per page of fulfilments. Nothing new: the same cursor back.
    """
    last_id, pending = parse_cursor(cursor)
    waiting: list[int] = []
    out: list[Shipment] = []
    after = 0
    seen = False
    while True:
        page = await suiteql(header_query(last_id=last_id, pending=pending, after=after))
        rows = page.get("items", [])
        ready = []
        for row in rows:
            seen = True
            fid = int(row["id"])
            after = max(after, fid)
            if row.get("status") != SHIPPED:
                waiting.append(fid)
            elif is_ours(row):
                ready.append(row)
        lines = await _lines(suiteql, [int(r["id"]) for r in ready])
        for row in ready:
            shipment = shipment_from(row, lines.get(int(row["id"]), []))
            if shipment is not None:
                out.append(shipment)
        if not page.get("hasMore") or not rows:
            break
    if not seen:
        return [], cursor
    return out, format_cursor(max(last_id, after), waiting)
