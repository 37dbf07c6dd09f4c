"""SuiteQL against the ERP model without HTTP: exact money, every table, limits and refusals."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.erp.constants import ErpSettings
from mocks.erp.errors import InvalidContent, InvalidParameter
from mocks.erp.models import ErpModel
from mocks.erp.suiteql import quote_keywords, run_suiteql
from simclock import VirtualClock

START = 1_795_737_600.0  # 2026-11-27T00:00:00Z


def make_model(**overrides: Any) -> ErpModel:
    model = ErpModel(
        settings=ErpSettings.from_overrides(overrides), clock=VirtualClock(START), seed=7
    )
    model.seed(
        {
            "locations": [{"id": "1", "name": "Main"}],
            "items": [{"sku": "A", "on_hand": {"1": 5}}, {"sku": "B", "on_hand": {"1": 0}}],
            "customers": [{"externalId": "c-1", "email": "c@example.com", "phone": "5550100000"}],
        }
    )
    return model


def order(model: ErpModel, eid: str, *lines: tuple[str, int, str]) -> None:
    model.orders.upsert(
        eid,
        {
            "entity": {"externalId": "c-1"},
            "location": {"id": "1"},
            "item": {
                "items": [
                    {"item": {"externalId": sku}, "quantity": qty, "rate": rate}
                    for sku, qty, rate in lines
                ]
            },
        },
    )


def rows(model: ErpModel, q: str, *, limit: int = 1000, offset: int = 0) -> list[dict[str, str]]:
    page = run_suiteql(model, {"q": q}, limit=limit, offset=offset, settings=model.settings)
    return [{k: v for k, v in item.items() if k != "links"} for item in page.items]


def test_sum_min_max_of_money_are_exact_decimals() -> None:
    model = make_model()
    for i, rate in enumerate(("0.10", "0.20", "10.00")):
        order(model, f"o-{i}", ("A", 1, rate))
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004.
    assert rows(model, "SELECT SUM(foreigntotal) AS s FROM transaction WHERE foreigntotal < 1") == [
        {"s": "0.30"}
    ]
    assert rows(
        model, "SELECT MAX(foreigntotal) AS hi, MIN(foreigntotal) AS lo FROM salesorder"
    ) == [{"hi": "10.00", "lo": "0.10"}]
    assert rows(model, "SELECT SUM(quantity) AS units FROM transactionline") == [{"units": "3"}]
    assert rows(
        model, "SELECT tranid FROM transaction WHERE foreigntotal BETWEEN 0.15 AND 9.999"
    ) == [{"tranid": "SO1002"}]


def test_every_record_is_queryable() -> None:
    model = make_model()
    order(model, "o-1", ("A", 2, "3.00"), ("B", 1, "1.00"))
    model.fulfilments.transform("eid:o-1", {"trackingNumbers": ["1Z1"]})
    model.credit_memos.transform(
        "eid:o-1", {"item": {"items": [{"orderLine": 1, "quantity": 1, "restock": True}]}}
    )
    model.journal.create(
        {
            "line": {
                "items": [
                    {"account": {"id": "1000"}, "debit": "3.00"},
                    {"account": {"id": "4000"}, "credit": "3.00"},
                ]
            }
        }
    )
    assert rows(model, "SELECT type, status, tranid FROM transaction ORDER BY id") == [
        {"type": "SalesOrd", "status": "D", "tranid": "SO1001"},
        {"type": "ItemShip", "status": "C", "tranid": "IF1001"},
        {"type": "CustCred", "status": "A", "tranid": "CM1001"},
        {"type": "Journal", "status": "B", "tranid": "JE1001"},
    ]
    assert rows(model, "SELECT trackingnumbers, createdfrom FROM itemfulfillment") == [
        {"trackingnumbers": "1Z1", "createdfrom": "2001"}
    ]
    assert rows(
        model,
        "SELECT linesequencenumber AS line, quantitycommitted AS c, quantitybackordered AS b, "
        "quantityshiprecv AS f FROM transactionline WHERE transaction = 2001 ORDER BY 1",
    ) == [{"line": "1", "c": "0", "b": "0", "f": "2"}, {"line": "2", "c": "0", "b": "1", "f": "0"}]
    assert rows(model, "SELECT netamount, custcol_rh_restock FROM transactionline tl "
                "JOIN creditmemo cm ON cm.id = tl.transaction") == [
        {"netamount": "3.00", "custcol_rh_restock": "T"}
    ]  # fmt: skip
    assert rows(
        model, "SELECT account, debit, credit FROM transactionaccountingline ORDER BY 1"
    ) == [{"account": "1000", "debit": "3.00"}, {"account": "4000", "credit": "3.00"}]
    assert rows(
        model,
        "SELECT i.itemid, l.quantityonhand AS h, l.quantityavailable AS a "
        "FROM inventoryitemlocations l JOIN item i ON i.id = l.item ORDER BY i.itemid",
    ) == [{"itemid": "A", "h": "4", "a": "4"}, {"itemid": "B", "h": "0", "a": "0"}]
    assert rows(model, "SELECT id, email, isperson FROM customer") == [
        {"id": "501", "email": "c@example.com", "isperson": "T"}
    ]
    assert rows(model, "SELECT name FROM location") == [{"name": "Main"}]
    assert {"acctnumber": "6100"} in rows(model, "SELECT acctnumber FROM account")


def test_oracle_helpers_and_unnamed_expressions() -> None:
    model = make_model()
    order(model, "o-1", ("A", 1, "1.00"))
    assert rows(
        model,
        "SELECT NVL(memo, 'none') AS memo, COUNT(*), UPPER(tranid) FROM transaction "
        "WHERE trandate >= TO_DATE('11/27/2026', 'MM/DD/YYYY') GROUP BY memo",
    ) == [{"memo": "none", "expr1": "1", "expr2": "SO1001"}]
    with pytest.raises(InvalidParameter, match="TO_DATE format"):
        rows(model, "SELECT TO_DATE('2026', 'YYYY') FROM transaction")


def test_transaction_is_quoted_only_where_it_is_a_name() -> None:
    assert (
        quote_keywords("SELECT tl.transaction FROM transaction t WHERE memo = 'transaction'")
        == 'SELECT tl."transaction" FROM "transaction" t WHERE memo = \'transaction\''
    )
    assert quote_keywords("SELECT id FROM transactionline") == "SELECT id FROM transactionline"


def test_results_beyond_the_cap_cannot_be_reached() -> None:
    model = make_model(suiteql_max_results=2)
    for i in range(3):
        order(model, f"o-{i}", ("A", 1, "1.00"))
    page = run_suiteql(
        model, {"q": "SELECT id FROM transaction"}, limit=1, offset=1, settings=model.settings
    )
    assert (page.total, page.has_more, len(page.items)) == (2, False, 1)
    with pytest.raises(InvalidParameter, match="at most 2 results") as info:
        run_suiteql(
            model, {"q": "SELECT id FROM transaction"}, limit=1, offset=2, settings=model.settings
        )
    assert info.value.where == {"o:errorQueryParam": "offset"}


def test_a_runaway_query_is_stopped_with_a_400() -> None:
    model = make_model(suiteql_max_steps=5_000)
    for i in range(20):
        order(model, f"o-{i}", ("A", 1, "1.00"))
    with pytest.raises(InvalidParameter, match="took too long"):
        rows(model, "SELECT COUNT(*) FROM transaction a, transaction b, transaction c")


@pytest.mark.parametrize(
    "q",
    [
        "PRAGMA table_info(customer)",
        "WITH x AS (SELECT 1) DELETE FROM customer",
        "SELECT * FROM customer; DROP TABLE customer",
        "ATTACH DATABASE 'file.db' AS other",
        "  -- a comment\n UPDATE customer SET email = 'x'",
    ],
)
def test_only_reading_statements_run(q: str) -> None:
    model = make_model()
    with pytest.raises(InvalidParameter, match=r"^Invalid search query\."):
        rows(model, q)
    assert model.customers.by_id[501].email == "c@example.com"


@pytest.mark.parametrize("body", [{}, {"q": ""}, {"q": 5}, ["SELECT 1"]])
def test_a_body_without_a_query_is_invalid_content(body: Any) -> None:
    model = make_model()
    with pytest.raises(InvalidContent, match='"q"'):
        run_suiteql(model, body, limit=10, offset=0, settings=model.settings)
