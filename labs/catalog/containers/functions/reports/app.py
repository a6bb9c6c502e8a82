"""The reports function: turns a day's orders into a JSON report on the shared EFS file system,
and reads reports back. Lambda mounts the file system (through its access point) at REPORTS_DIR.

Events:
  {"action": "write", "day": "2026-12-04", "orders": [{"id": ..., "region": ..., "amount": "19.90"}]}
  {"action": "read", "day": "2026-12-04"}
  {"action": "list"}

Nothing is written unless a file system is mounted at REPORTS_DIR: a plain directory there would
hide a missing mount (the report would vanish with the execution environment)."""

import json
import os
import re
from decimal import Decimal, InvalidOperation

DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def reports_dir() -> str:
    return os.environ.get("REPORTS_DIR", "/mnt/reports")


def mounted(path: str) -> bool:
    return os.path.ismount(path)


def totals(orders: list) -> dict:
    """Orders, revenue and revenue by region, as strings of two decimals (money is never a float)."""
    revenue, by_region = Decimal("0"), {}
    for order in orders:
        try:
            amount = Decimal(str(order["amount"]))
        except (KeyError, InvalidOperation, TypeError) as error:
            raise ValueError(f"order {order.get('id', '?')} has no valid amount") from error
        region = str(order.get("region", "unknown"))
        revenue += amount
        by_region[region] = by_region.get(region, Decimal("0")) + amount
    cents = Decimal("0.01")
    return {"orders": len(orders), "revenue": str(revenue.quantize(cents)),
            "by_region": {key: str(value.quantize(cents)) for key, value in sorted(by_region.items())}}


def _not_mounted(path: str) -> dict:
    return {"mounted": False, "reason": f"no file system is mounted at {path}: check the function's file "
                                        "system configuration (an EFS access point and this local mount path)"}


def write_report(event: dict) -> dict:
    day = str(event.get("day", ""))
    if not DAY.match(day):
        return {"error": f"day must look like 2026-12-04, got {day!r}"}
    try:
        summary = totals(event.get("orders") or [])
    except ValueError as error:
        return {"error": str(error)}
    folder = reports_dir()
    answer = {"day": day, "totals": summary, "written": False, "path": os.path.join(folder, f"{day}.json")}
    if not mounted(folder):
        return {**answer, **_not_mounted(folder)}
    # Write a temporary file, then rename it: a reader (the Fargate task) never sees half a report.
    temporary = answer["path"] + f".{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump({"day": day, **summary}, handle, sort_keys=True)
    os.replace(temporary, answer["path"])
    return {**answer, "mounted": True, "written": True}


def read_report(event: dict) -> dict:
    day = str(event.get("day", ""))
    if not DAY.match(day):
        return {"error": f"day must look like 2026-12-04, got {day!r}"}
    folder = reports_dir()
    if not mounted(folder):
        return _not_mounted(folder)
    path = os.path.join(folder, f"{day}.json")
    if not os.path.exists(path):
        return {"mounted": True, "found": False, "path": path}
    with open(path, encoding="utf-8") as handle:
        return {"mounted": True, "found": True, "path": path, "report": json.load(handle)}


def list_reports(event: dict) -> dict:
    folder = reports_dir()
    if not mounted(folder):
        return _not_mounted(folder)
    return {"mounted": True, "reports": sorted(name for name in os.listdir(folder) if name.endswith(".json"))}


ACTIONS = {"write": write_report, "read": read_report, "list": list_reports}


def handler(event, context):
    action = ACTIONS.get((event or {}).get("action", ""))
    if action is None:
        return {"error": f"action must be one of {', '.join(ACTIONS)}"}
    answer = action(event)
    print(json.dumps({"action": event["action"], **{k: v for k, v in answer.items() if k != "report"}}))
    return answer
