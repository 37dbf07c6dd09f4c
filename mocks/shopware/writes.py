"""The write layer for products and customers: validate a payload, apply it, undo on failure.

Shared by the entity routes (``POST``/``PATCH``/``DELETE``) and the sync API. Rules (PLATFORMS
3.2, 3.4, 3.5; * = ours):
- Unknown top-level fields are ignored silently, as Shopware's DAL skips properties that have
  no field (a misspelt ``stok`` writes nothing and raises nothing).
- ``availableStock`` is write-protected: any value is a 400 violation at its pointer.
- ``productNumber`` is unique (case-insensitively, as MySQL compares it): a duplicate is a
  violation. There is no upsert by productNumber: a payload without ``id`` inserts.
- Inserts need ``productNumber``, ``name``, ``stock``, ``price`` (with the default currency) and
  ``taxId``; a variant (``parentId``) inherits name, price and tax from its parent.
- A stock write to an existing closeout product follows ``closeout_stock_write``*: ``ignore``
  (accepted, stock unchanged), ``reject`` (violation ``CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE``)
  or ``accept``.
- Writes record what they change in a :class:`~mocks.shopware.catalog.UnitOfWork`, so a
  failed transaction is rolled back completely.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mocks.shopware import fields as f
from mocks.shopware.catalog import Catalog, UnitOfWork, WriteResult
from mocks.shopware.constants import ShopwareSettings
from mocks.shopware.errors import Violation, WriteViolations
from mocks.shopware.records import CallStats, Customer, IdFactory, Product

PRODUCT_PARSERS: dict[str, Callable[[Any], Any]] = {
    "productNumber": lambda v: f.string(v, max_length=64),
    "name": f.string,
    "stock": f.integer,
    "isCloseout": f.boolean,
    "active": f.boolean,
    "taxId": f.uuid_value,
    "parentId": f.optional_uuid,
    "options": f.options,
    "customFields": f.json_object,
}
PRODUCT_ATTRS = {
    "productNumber": "product_number",
    "name": "name",
    "stock": "stock",
    "isCloseout": "is_closeout",
    "active": "active",
    "taxId": "tax_id",
    "parentId": "parent_id",
    "options": "options",
    "customFields": "custom_fields",
    "price": "price",
}
CUSTOMER_PARSERS: dict[str, Callable[[Any], Any]] = {
    "email": f.email,
    "firstName": f.string,
    "lastName": f.string,
    "customerNumber": f.string,
    "guest": f.boolean,
    "active": f.boolean,
    "customFields": f.json_object,
}
CUSTOMER_ATTRS = {
    "email": "email",
    "firstName": "first_name",
    "lastName": "last_name",
    "customerNumber": "customer_number",
    "guest": "guest",
    "active": "active",
    "customFields": "custom_fields",
}
WRITABLE_ENTITIES = ("product", "customer")
WRITE_PROTECTED = 'This field is write-protected. (Got: "user" scope and "system" is required)'


@dataclass(kw_only=True)
class WriteContext:
    """What a write needs besides the payload."""

    settings: ShopwareSettings
    ids: IdFactory
    now: float
    stats: CallStats


def _parse(
    payload: dict[str, Any],
    parsers: dict[str, Callable[[Any], Any]],
    pointer: str,
    problems: list[Violation],
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, parser in parsers.items():
        if name not in payload:
            continue
        try:
            values[name] = parser(payload[name])
        except f.FieldProblem as exc:
            problems.append(
                Violation(pointer=f"{pointer}/{name}", detail=exc.detail, code=exc.code)
            )
    return values


def _record_id(payload: dict[str, Any], pointer: str, problems: list[Violation]) -> str | None:
    if payload.get("id") is None:
        return None
    try:
        return f.uuid_value(payload["id"])
    except f.FieldProblem as exc:
        problems.append(Violation(pointer=f"{pointer}/id", detail=exc.detail, code=exc.code))
        return None


def _intent(mode: str, exists: bool, entity: str, pointer: str) -> Violation | None:
    """``create`` on an existing id / ``update`` on a missing one (DAL write-type intent)."""
    if mode == "create" and exists:
        got, expected = "UpdateCommand", "InsertCommand"
    elif mode == "update" and not exists:
        got, expected = "InsertCommand", "UpdateCommand"
    else:
        return None
    return Violation(
        pointer=pointer or "/",
        detail=f'Expected command for "{entity}" to be "{expected}". (Got: {got})',
        code="FRAMEWORK__WRITE_TYPE_INTEND_ERROR",
    )


def write_product(
    cat: Catalog, payload: Any, *, pointer: str, mode: str, uow: UnitOfWork, ctx: WriteContext
) -> WriteResult:
    """Insert or update one product; WriteViolations (nothing changed) when refused."""
    if not isinstance(payload, dict):
        raise WriteViolations(
            [Violation(pointer=pointer or "/", detail="Expected data to be array.")]
        )
    problems: list[Violation] = []
    pid = _record_id(payload, pointer, problems)
    existing = cat.products.get(pid) if pid else None
    intent = _intent(mode, existing is not None, "product", pointer)
    if intent is not None:
        raise WriteViolations([intent])
    if "availableStock" in payload:
        problems.append(
            Violation(
                pointer=f"{pointer}/availableStock",
                detail=WRITE_PROTECTED,
                parameters={"field": "availableStock"},
            )
        )
    values = _parse(payload, PRODUCT_PARSERS, pointer, problems)
    if "price" in payload:
        try:
            values["price"] = f.price_list(
                payload["price"], default_currency_id=ctx.settings.currency_id
            )
        except f.FieldProblem as exc:
            problems.append(Violation(pointer=f"{pointer}/price", detail=exc.detail, code=exc.code))
    _check_references(cat, values, pid, pointer, problems)
    if existing is None:
        inherited = values.get("parentId") is not None
        required = ["productNumber", "stock"] + ([] if inherited else ["name", "price", "taxId"])
        for name in required:
            if name not in values and not any(p.pointer == f"{pointer}/{name}" for p in problems):
                problems.append(Violation(pointer=f"{pointer}/{name}", detail=f.BLANK))
    elif existing.is_closeout and "stock" in values and values["stock"] != existing.stock:
        mode_ = ctx.settings.closeout_stock_write
        if mode_ == "reject":
            ctx.stats.closeout_writes_rejected += 1
            problems.append(
                Violation(
                    pointer=f"{pointer}/stock",
                    detail=f'The stock of closeout product "{existing.product_number}" cannot '
                    "be written while it is on sale until sold out.",
                    code="CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE",
                    parameters={"productNumber": existing.product_number},
                )
            )
        elif mode_ == "ignore":
            ctx.stats.closeout_writes_ignored += 1
            del values["stock"]
    if problems:
        raise WriteViolations(problems)
    return _apply_product(cat, pid, existing, values, uow, ctx)


def _check_references(
    cat: Catalog, values: dict[str, Any], pid: str | None, pointer: str, problems: list[Violation]
) -> None:
    number = values.get("productNumber")
    if number is not None:
        owner = cat.by_number.get(number.casefold())
        if owner is not None and owner != pid:
            problems.append(
                Violation(
                    pointer=f"{pointer}/productNumber",
                    detail=f'Product with number "{number}" already exists.',
                    code="CONTENT__PRODUCT_NUMBER_DUPLICATE",
                    parameters={"number": number},
                )
            )
    if "taxId" in values and values["taxId"] not in cat.taxes:
        problems.append(
            Violation(
                pointer=f"{pointer}/taxId", detail=f'The tax "{values["taxId"]}" does not exist.'
            )
        )
    parent = values.get("parentId")
    if parent is not None and (parent not in cat.products or parent == pid):
        problems.append(
            Violation(
                pointer=f"{pointer}/parentId", detail=f'The product "{parent}" does not exist.'
            )
        )


def _apply_product(
    cat: Catalog,
    pid: str | None,
    existing: Product | None,
    values: dict[str, Any],
    uow: UnitOfWork,
    ctx: WriteContext,
) -> WriteResult:
    new_id = pid or ctx.ids.new()
    uow.remember_product(new_id)
    if existing is None:
        # A variant leaves name, price and tax empty: it inherits them from its parent.
        product = Product(
            id=new_id,
            product_number=values["productNumber"],
            name=values.get("name", ""),
            stock=values["stock"],
            price=values.get("price", []),
            tax_id=values.get("taxId", ""),
            created_ts=ctx.now,
        )
        operation = "insert"
    else:
        product = existing
        cat.by_number.pop(product.product_number.casefold(), None)
        product.updated_ts = ctx.now
        operation = "update"
    for name, value in values.items():
        setattr(product, PRODUCT_ATTRS[name], value)
    cat.products[new_id] = product
    cat.by_number[product.product_number.casefold()] = new_id
    written = [n for n in values if n != "id"]
    if "stock" in values:
        written.append("availableStock")
    written.append("createdAt" if operation == "insert" else "updatedAt")
    return WriteResult(entity="product", id=new_id, operation=operation, fields=tuple(written))


def write_customer(
    cat: Catalog, payload: Any, *, pointer: str, mode: str, uow: UnitOfWork, ctx: WriteContext
) -> WriteResult:
    """Insert or update one customer (e-mail addresses need not be unique: guests repeat)."""
    if not isinstance(payload, dict):
        raise WriteViolations(
            [Violation(pointer=pointer or "/", detail="Expected data to be array.")]
        )
    problems: list[Violation] = []
    cid = _record_id(payload, pointer, problems)
    existing = cat.customers.get(cid) if cid else None
    intent = _intent(mode, existing is not None, "customer", pointer)
    if intent is not None:
        raise WriteViolations([intent])
    values = _parse(payload, CUSTOMER_PARSERS, pointer, problems)
    if existing is None:
        for name in ("email", "firstName", "lastName"):
            if name not in values and not any(p.pointer == f"{pointer}/{name}" for p in problems):
                problems.append(Violation(pointer=f"{pointer}/{name}", detail=f.BLANK))
    if problems:
        raise WriteViolations(problems)
    new_id = cid or ctx.ids.new()
    uow.remember_customer(new_id)
    if existing is None:
        customer = Customer(
            id=new_id,
            customer_number=values.get("customerNumber") or cat.next_customer_number(),
            email=values["email"],
            first_name=values["firstName"],
            last_name=values["lastName"],
            created_ts=ctx.now,
        )
        operation = "insert"
    else:
        customer = existing
        customer.updated_ts = ctx.now
        operation = "update"
    for name, value in values.items():
        setattr(customer, CUSTOMER_ATTRS[name], value)
    cat.customers[new_id] = customer
    written = [*values, "createdAt" if operation == "insert" else "updatedAt"]
    return WriteResult(entity="customer", id=new_id, operation=operation, fields=tuple(written))


def delete_record(
    cat: Catalog, entity: str, payload: Any, *, pointer: str, uow: UnitOfWork
) -> WriteResult | None:
    """Delete by ``{"id"}``; None when the id does not exist (a sync delete ignores it)."""
    if not isinstance(payload, dict) or payload.get("id") is None:
        raise WriteViolations([Violation(pointer=f"{pointer}/id", detail=f.BLANK)])
    try:
        rid = f.uuid_value(payload["id"])
    except f.FieldProblem as exc:
        raise WriteViolations(
            [Violation(pointer=f"{pointer}/id", detail=exc.detail, code=exc.code)]
        ) from None
    if entity == "product":
        product = cat.products.get(rid)
        if product is None:
            return None
        uow.remember_product(rid)
        del cat.products[rid]
        cat.by_number.pop(product.product_number.casefold(), None)
    else:
        if rid not in cat.customers:
            return None
        uow.remember_customer(rid)
        del cat.customers[rid]
    return WriteResult(entity=entity, id=rid, operation="delete", fields=())


def write_record(
    cat: Catalog,
    entity: str,
    payload: Any,
    *,
    pointer: str,
    mode: str,
    uow: UnitOfWork,
    ctx: WriteContext,
) -> WriteResult:
    """Dispatch an insert/update to the entity's writer."""
    writer = write_product if entity == "product" else write_customer
    return writer(cat, payload, pointer=pointer, mode=mode, uow=uow, ctx=ctx)
