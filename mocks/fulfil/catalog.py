"""``create`` / ``write`` for the catalogue models: products, parties and their details.

- ``product.product``: ``code`` (the SKU) unique and required; ``name`` defaults to it.
- ``party.party``: ``contact_mechanisms`` and ``addresses`` may be created inline (Tryton's
  ``[["create", [...]]]``); the party's code defaults to ``C<id>``.
- ``party.contact_mechanism``: ``type`` one of Tryton's (email, phone, mobile...), ``value``.
Every value is checked before anything is stored, so a refused create leaves nothing behind.
Products and parties are not deletable through the API* (sales refer to them).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.fulfil.errors import UserError
from mocks.fulfil.records import Address, ContactMechanism, Party, Product
from mocks.fulfil.schemas import Values

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

MECHANISM_TYPES = ("email", "phone", "mobile", "fax", "website", "other")
ADDRESS_FIELDS = ("name", "street", "street_bis", "city", "zip", "subdivision", "country")


def ref(m: FulfilModel, table: dict[int, Any], value: Any, field: str, model: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f'The value of field "{field}" must be a {model} id, got {value!r}.')
    if value not in table:
        raise UserError(f'The {model} with id {value} referenced by "{field}" does not exist.')
    return value


def create_product(m: FulfilModel, raw: Any) -> int:
    v = Values(raw, "product.product")
    code = v.text("code", required=True)
    assert code is not None
    if code in m.products_by_code:
        raise UserError(f'A product with code "{code}" already exists.', description=code)
    now = m.clock.now()
    product = Product(
        id=m.next_id("product.product"),
        code=code,
        name=v.text("name") or code,
        list_price=v.money("list_price") or Decimal(0),
        cost_price=v.money("cost_price") or Decimal(0),
        active=v.boolean("active") is not False,
        create_ts=now,
        write_ts=now,
    )
    v.finish()
    m.products[product.id] = product
    m.products_by_code[code] = product.id
    m.reindex("product.code", None, code, product.id)
    return product.id


def write_product(m: FulfilModel, product: Product, raw: Any) -> None:
    v = Values(raw, "product.product")
    changes: dict[str, Any] = {}
    if "code" in v:
        code = v.text("code", required=True)
        if code != product.code and code in m.products_by_code:
            raise UserError(f'A product with code "{code}" already exists.', description=code)
        changes["code"] = code
    if "name" in v:
        changes["name"] = v.text("name", required=True)
    for key in ("list_price", "cost_price"):
        if key in v:
            changes[key] = v.money(key) or Decimal(0)
    if "active" in v:
        changes["active"] = bool(v.boolean("active"))
    v.finish()
    if "code" in changes:
        del m.products_by_code[product.code]
        m.reindex("product.code", product.code, changes["code"], product.id)
        m.products_by_code[changes["code"]] = product.id
    for attr, value in changes.items():
        setattr(product, attr, value)
    product.write_ts = m.clock.now()


def _mechanism(m: FulfilModel, raw: Any, party: int | None) -> tuple[int | None, str, str]:
    v = Values(raw, "party.contact_mechanism")
    if party is None:
        party = ref(m, m.parties, v.relation("party"), "party", "party.party")
        if party is None:
            raise UserError('The field "party" on "party.contact_mechanism" is required.')
    kind = v.text("type", required=True)
    if kind not in MECHANISM_TYPES:
        raise UserError(
            f"Invalid contact mechanism type {kind!r}; use one of {', '.join(MECHANISM_TYPES)}."
        )
    value = v.text("value", required=True)
    v.finish()
    assert kind is not None and value is not None
    return party, kind, value


def _store_mechanism(m: FulfilModel, party: int, kind: str, value: str) -> int:
    mech = ContactMechanism(
        id=m.next_id("party.contact_mechanism"), party=party, type=kind, value=value
    )
    m.contact_mechanisms[mech.id] = mech
    m.parties[party].contact_mechanisms.append(mech.id)
    m.reindex("party.mechanism", None, value, party)
    return mech.id


def create_mechanism(m: FulfilModel, raw: Any) -> int:
    party, kind, value = _mechanism(m, raw, None)
    assert party is not None
    return _store_mechanism(m, party, kind, value)


def _address(m: FulfilModel, raw: Any, party: int | None) -> tuple[int | None, dict[str, Any]]:
    v = Values(raw, "party.address")
    if party is None:
        party = ref(m, m.parties, v.relation("party"), "party", "party.party")
        if party is None:
            raise UserError('The field "party" on "party.address" is required.')
    fields = {f: v.text(f) for f in ADDRESS_FIELDS}
    v.finish()
    return party, fields


def _store_address(m: FulfilModel, party: int, fields: dict[str, Any]) -> int:
    address = Address(id=m.next_id("party.address"), party=party, **fields)
    m.addresses[address.id] = address
    m.parties[party].addresses.append(address.id)
    return address.id


def create_address(m: FulfilModel, raw: Any) -> int:
    party, fields = _address(m, raw, None)
    assert party is not None
    return _store_address(m, party, fields)


def _inline(
    m: FulfilModel, v: Values, party: int
) -> tuple[list[tuple[str, str]], list[dict[str, Any]]]:
    """Validated inline contact mechanisms and addresses (only ``create`` is supported*)."""
    mechanisms: list[tuple[str, str]] = []
    addresses: list[dict[str, Any]] = []
    for field in ("contact_mechanisms", "addresses"):
        for action, items in v.one2many(field) or []:
            if action != "create":
                raise UserError(f'Only "create" is supported for "{field}" in this mock.')
            for item in items:
                if field == "addresses":
                    addresses.append(_address(m, item, party)[1])
                else:
                    _, kind, value = _mechanism(m, item, party)
                    mechanisms.append((kind, value))
    return mechanisms, addresses


def _store_inline(
    m: FulfilModel, party: int, inline: tuple[list[tuple[str, str]], list[dict[str, Any]]]
) -> None:
    for kind, value in inline[0]:
        _store_mechanism(m, party, kind, value)
    for fields in inline[1]:
        _store_address(m, party, fields)


def create_party(m: FulfilModel, raw: Any) -> int:
    v = Values(raw, "party.party")
    name = v.text("name", required=True)
    assert name is not None
    code = v.text("code")
    party_id = m.peek_id("party.party")
    inline = _inline(m, v, party_id)
    v.finish()
    now = m.clock.now()
    party = Party(
        id=m.next_id("party.party"),
        name=name,
        code=code or f"C{party_id}",
        create_ts=now,
        write_ts=now,
    )
    m.parties[party.id] = party
    _store_inline(m, party.id, inline)
    return party.id


def write_party(m: FulfilModel, party: Party, raw: Any) -> None:
    v = Values(raw, "party.party")
    name = v.text("name", required=True) if "name" in v else party.name
    code = v.text("code", required=True) if "code" in v else party.code
    inline = _inline(m, v, party.id)
    v.finish()
    assert name is not None and code is not None
    party.name, party.code = name, code
    _store_inline(m, party.id, inline)
    party.write_ts = m.clock.now()
