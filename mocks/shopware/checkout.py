"""Order placement: the storefront checkout and Admin-created orders (PLATFORMS 3.5, 3.6).

All-or-nothing: every line is resolved and every closeout product checked before anything
changes (nothing is awaited in between, so check-then-decrement is atomic). Shopware 6.6 stock
semantics: ``stock`` drops by the ordered quantity when the order is placed; a closeout product
cannot be ordered beyond its stock (409, nothing decremented); any other product may go
negative - the oversell the checkers measure. Lines:
- ``product``: one per product (the cart stacks repeats), ``payload.productNumber`` and the
  variant's configurator ``payload.options`` (the line's own options when the product has none*);
- ``promotion``: a seeded code; one negative line with no product and no SKU
  (``referencedId`` is the code);
- ``custom`` / ``credit``: priced by the basket; ``container``: product children under a parent.
Guest checkouts always create a new guest customer, even for a known e-mail address; a
registered checkout (``guest: false``) reuses the registered customer with that address.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from mocks.shopware.catalog import WriteResult
from mocks.shopware.errors import (
    ProductNotFound,
    ProductStockReached,
    PromotionCodeNotFound,
    ShippingMethodNotFound,
)
from mocks.shopware.pricing import order_totals, reprice
from mocks.shopware.records import (
    Customer,
    Delivery,
    LineItem,
    Order,
    OrderCustomer,
    OrderData,
    Product,
    Transaction,
)
from mocks.shopware.schemas import CheckoutLine, CheckoutRequest

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel

ORDER_FIELDS = (
    "id",
    "versionId",
    "orderNumber",
    "orderDateTime",
    "currencyId",
    "price",
    "shippingCosts",
    "stateId",
    "orderCustomer",
    "createdAt",
)
LINE_FIELDS = ("id", "versionId", "orderId", "type", "label", "quantity", "price", "payload")


def _resolve(model: ShopwareModel, line: CheckoutLine) -> Product:
    product = None
    if line.product_id is not None:
        product = model.catalog.products.get(line.product_id)
    elif line.product_number is not None:
        product = model.catalog.product_by_number(line.product_number)
    if product is None or not product.active:
        where = "productNumber" if line.product_id is None else "productId"
        raise ProductNotFound(
            line.product_number or line.product_id or "", f"{line.pointer}/{where}"
        )
    return product


def _product_line(
    model: ShopwareModel, product: Product, line: CheckoutLine, *, position: int, now: float
) -> LineItem:
    name, gross, rate = model.effective_price(product)
    options = [dict(o) for o in product.options] or [
        {"group": g, "option": o} for g, o in (line.options or ())
    ]
    return LineItem(
        id=model.ids.new(),
        identifier=product.id,
        type="product",
        label=name,
        quantity=line.quantity,
        unit_price=gross,
        total_price=gross,
        taxes=[],
        tax_rate=rate,
        position=position,
        product_id=product.id,
        referenced_id=product.id,
        payload={
            "productNumber": product.product_number,
            "options": options,
            "isCloseout": product.is_closeout,
            "taxId": product.tax_id,
            "parentId": product.parent_id,
        },
        created_ts=now,
    )


def _customer(model: ShopwareModel, req: CheckoutRequest, now: float) -> tuple[Customer, bool]:
    """The order's customer and whether it was created now."""
    number = model.catalog.next_customer_number
    email = req.email or f"guest-{model.catalog.customer_numbers}@rehearsal.invalid"
    if not req.guest:
        for existing in model.catalog.customers.values():
            if not existing.guest and existing.email.casefold() == email.casefold():
                return existing, False
    customer = Customer(
        id=model.ids.new(),
        customer_number=number(),
        email=email,
        first_name=req.first_name,
        last_name=req.last_name,
        guest=req.guest,
        created_ts=now,
    )
    model.catalog.customers[customer.id] = customer
    return customer, True


def place_order(model: ShopwareModel, req: CheckoutRequest) -> tuple[Order, list[WriteResult]]:
    """Validate, reserve and price ``req``; returns the new order and its write results."""
    settings, now = model.settings, model.clock.now()
    top = [(line, _resolve(model, line)) for line in req.lines]
    children = [
        [(child, _resolve(model, child)) for child in custom.children]
        for custom in req.custom_lines
    ]
    promotion = None
    if req.promotion_code is not None:
        promotion = model.promotions.get(req.promotion_code.casefold())
        if promotion is None or not promotion.active:
            raise PromotionCodeNotFound(req.promotion_code)
    shipping = settings.shipping_methods.get(req.shipping)
    if shipping is None:
        raise ShippingMethodNotFound(req.shipping)
    demand: dict[str, int] = {}
    for line, product in [*top, *(pair for group in children for pair in group)]:
        demand[product.id] = demand.get(product.id, 0) + line.quantity
    if settings.enable_stock_management:
        for pid, qty in demand.items():
            product = model.catalog.products[pid]
            if product.is_closeout and product.stock < qty:
                raise ProductStockReached(product.product_number, qty, product.stock)
    lines: list[LineItem] = []
    by_product: dict[str, LineItem] = {}
    for line, product in top:
        if product.id in by_product:
            by_product[product.id].quantity += line.quantity
            continue
        item = _product_line(model, product, line, position=len(lines) + 1, now=now)
        by_product[product.id] = item
        lines.append(item)
    for custom, group in zip(req.custom_lines, children, strict=True):
        parent = LineItem(
            id=model.ids.new(),
            identifier=model.ids.new(),
            type=custom.type,
            label=custom.label,
            quantity=custom.quantity,
            unit_price=custom.unit_price,
            total_price=custom.unit_price,
            taxes=[],
            tax_rate=custom.tax_rate if custom.tax_rate is not None else settings.tax_rate,
            position=len(lines) + 1,
            good=custom.type != "credit",
            created_ts=now,
        )
        lines.append(parent)
        for n, (child, product) in enumerate(group, start=1):
            item = _product_line(model, product, child, position=n, now=now)
            item.parent_id = parent.id
            lines.append(item)
    if promotion is not None:
        lines.append(
            LineItem(
                id=model.ids.new(),
                identifier=promotion.id,
                type="promotion",
                label=promotion.name,
                quantity=1,
                unit_price=Decimal("0.00"),
                total_price=Decimal("0.00"),
                taxes=[],
                tax_rate=settings.tax_rate,
                position=len(lines) + 1,
                referenced_id=promotion.code,
                good=False,
                payload={
                    "code": promotion.code,
                    "promotionId": promotion.id,
                    "discountType": promotion.discount_type,
                    "value": str(promotion.value),
                    "discountScope": "cart",
                },
                created_ts=now,
            )
        )
    reprice(lines, fallback_rate=settings.tax_rate)
    totals = order_totals(lines, shipping, fallback_rate=settings.tax_rate)
    if settings.enable_stock_management:
        for pid, qty in demand.items():
            model.catalog.products[pid].stock -= qty
            model.catalog.products[pid].sales += qty
    customer, created = _customer(model, req, now)
    order_id = model.ids.new()
    data = OrderData(
        id=order_id,
        version_id=model.live_version_id,
        order_number=model.next_order_number(),
        order_ts=now,
        customer=OrderCustomer(
            id=model.ids.new(),
            customer_id=customer.id,
            email=customer.email,
            first_name=customer.first_name,
            last_name=customer.last_name,
            customer_number=customer.customer_number,
        ),
        state="open",
        line_items=lines,
        delivery=Delivery(
            id=model.ids.new(),
            shipping_method=req.shipping,
            shipping_costs=totals.shipping_total,
            taxes=totals.shipping_taxes,
        ),
        transaction=Transaction(
            id=model.ids.new(),
            payment_method="prepayment" if not req.paid else "credit_card",
            amount=totals.amount_total,
            taxes=totals.taxes,
            state="paid" if req.paid else "open",
        ),
        position_price=totals.position_price,
        shipping_total=totals.shipping_total,
        amount_total=totals.amount_total,
        amount_net=totals.amount_net,
        taxes=totals.taxes,
        currency_id=settings.currency_id,
        currency_iso=settings.currency,
        promotion_code=promotion.code if promotion else None,
        customer_comment=req.customer_comment,
        created_ts=now,
    )
    order = Order(id=order_id, live=data)
    results = [WriteResult(entity="order", id=order_id, operation="insert", fields=ORDER_FIELDS)]
    results += [
        WriteResult(entity="order_line_item", id=li.id, operation="insert", fields=LINE_FIELDS)
        for li in lines
    ]
    results.append(
        WriteResult(
            entity="order_delivery",
            id=data.delivery.id,
            operation="insert",
            fields=("id", "versionId", "orderId", "shippingCosts", "stateId"),
        )
    )
    results.append(
        WriteResult(
            entity="order_transaction",
            id=data.transaction.id,
            operation="insert",
            fields=("id", "versionId", "orderId", "amount", "stateId"),
        )
    )
    if created:
        results.append(
            WriteResult(
                entity="customer",
                id=customer.id,
                operation="insert",
                fields=("id", "email", "firstName", "lastName", "guest", "customerNumber"),
            )
        )
    return order, results
