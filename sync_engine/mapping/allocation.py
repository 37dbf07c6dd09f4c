"""Split an amount across parts to the cent, preserving the sum exactly.

Largest-remainder (Hamilton) apportionment in minor units: every part is its exact
proportional share rounded down to the cent, and the cents left over go to the parts with the
largest remainders (ties to the earlier part). The parts always sum to the amount, and each is
within one cent of its exact share. Negative amounts (discounts, promotion lines) are split by
their absolute value and given the sign back.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")


def allocate(amount: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """``amount`` (a whole number of cents) split in proportion to ``weights``.

    Zero or absent weights split equally. Raises ``ValueError`` for no parts, a negative
    weight, or an amount with fractions of a cent.
    """
    if not weights:
        raise ValueError("allocate needs at least one part")
    if amount != amount.quantize(CENT):
        raise ValueError(f"amount {amount} has fractions of a cent")
    ws = [Decimal(w) for w in weights]
    if any(w < 0 for w in ws):
        raise ValueError("weights must not be negative")
    total_weight = sum(ws, Decimal(0))
    if total_weight == 0:
        ws = [Decimal(1)] * len(ws)
        total_weight = Decimal(len(ws))
    sign = -1 if amount < 0 else 1
    cents = int(abs(amount) / CENT)
    exact = [Decimal(cents) * w / total_weight for w in ws]
    floors = [int(x.to_integral_value(rounding=ROUND_FLOOR)) for x in exact]
    left = cents - sum(floors)
    by_remainder = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [sign * Decimal(part) * CENT for part in floors]
