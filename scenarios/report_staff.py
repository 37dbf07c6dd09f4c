"""The summary's staff part (issue 8): what store staff did during the run and whether it all
reached the back office. Cancel, refund and edit drift must be 0 (``staff_reasons``); changes
the back office refused after the picking cut-off are held by the engine, surfaced, and listed.
"""

from __future__ import annotations

from typing import Any

from scenarios.invariants import Findings
from scenarios.schema import Scenario

MUST_BE_ZERO = ("cancel_drift", "refund_drift", "edit_drift")
ACTIONS = ("edit-address", "cancel", "refund")


def staff_reasons(f: Findings) -> list[str]:
    """Reasons the run fails on post-purchase changes (``{name} = n (must be 0)``)."""
    return [f"{name} = {getattr(f, name)} (must be 0)" for name in MUST_BE_ZERO if getattr(f, name)]


def staff_section(
    scenario: Scenario,
    findings: Findings,
    stats: dict[str, dict[str, Any]],
    requests: dict[str, int],
) -> dict[str, Any]:
    """Per action: done and refused for want of an eligible order (the channels' own counts,
    summed), requests Locust fired; the drift and held figures; per channel the mock's counts."""
    per_channel = {
        c.name: {a: dict(stats.get(c.name, {}).get("staff", {}).get(a, {})) for a in ACTIONS}
        for c in scenario.channels
        if "staff" in stats.get(c.name, {})
    }
    actions = {
        a: {
            "done": sum(ch[a].get("done", 0) for ch in per_channel.values()),
            "none_eligible": sum(ch[a].get("none_eligible", 0) for ch in per_channel.values()),
            "fired": requests.get(f"staff {a}", 0) + requests.get(f"staff {a} (none eligible)", 0),
        }
        for a in ACTIONS
    }
    return {
        "configured": scenario.staff.model_dump(mode="json"),
        "actions": actions,
        **{
            name: getattr(findings, name)
            for name in (*MUST_BE_ZERO, "changes_held", "refunds_held")
        },
        "channels": per_channel,
    }


def staff_rows(summary: dict[str, Any]) -> list[tuple[str, str]]:
    """The terminal table's staff lines (none when the scenario has no staff)."""
    staff = summary.get("staff") or {}
    configured = staff.get("configured") or {}
    if not any(
        configured.get(f"{k}_per_minute") for k in ("address_edits", "cancellations", "refunds")
    ):
        return []
    actions = staff["actions"]
    done = " / ".join(str(actions[a]["done"]) for a in ACTIONS)
    refused = " / ".join(str(actions[a]["none_eligible"]) for a in ACTIONS)
    drift = " / ".join(str(staff[name]) for name in MUST_BE_ZERO)
    return [
        ("staff edits / cancels / refunds (none eligible)", f"{done} ({refused})"),
        (
            "cancel / refund / edit drift; held changes / refunds",
            f"{drift}; {staff['changes_held']} / {staff['refunds_held']}",
        ),
    ]
