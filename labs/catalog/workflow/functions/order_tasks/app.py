"""The order workflow's tasks: six small Lambda handlers that the state machine calls in turn.

One package, six functions (each created with its own handler: ``app.validate_order``,
``app.reserve_stock``, ...), so the execution history names the function of every task and
each function's execution role and logs stay its own.

They keep no state and call no AWS service: a reservation and a charge are derived from the
order id, so the same order always gets the same ids (a retried task is idempotent). The
payment is a simulator driven by the order's ``payment`` block:

    {"card": "ok"}                        charged at the first attempt
    {"card": "flaky", "failures": 2}      PaymentServiceUnavailable on the first 2 attempts
    {"card": "unavailable"}               PaymentServiceUnavailable, every time
    {"card": "declined"}                  PaymentDeclined, every time

The attempt number comes from the state machine (``$$.State.RetryCount`` in the task's
Parameters), which is how a stateless function can fail "twice, then succeed". A sku named
``OUT-OF-STOCK`` makes the reservation fail (OutOfStock). Raising an exception fails the task:
Step Functions names the error after the exception's class, which is what Retry and Catch match.

This file ships to AWS as it is: the standard library only.
"""

import json
from decimal import ROUND_HALF_UP, Decimal

MAX_ITEMS = 25
MAX_QUANTITY = 100


class PaymentServiceUnavailable(Exception):
    """The payment provider did not answer: worth retrying."""


class PaymentDeclined(Exception):
    """The card was refused: retrying changes nothing."""


class OutOfStock(Exception):
    """A sku cannot be reserved."""


def _log(what: str, **fields) -> None:
    print(json.dumps({"task": what, **fields}, default=str))


def _money(value) -> str:
    return str(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _problem(order) -> str:
    """What is wrong with the order, or ""."""
    if not isinstance(order, dict):
        return "the order is not a JSON object"
    if not isinstance(order.get("orderId"), str) or not order["orderId"].strip():
        return "orderId is missing"
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return "the order has no items"
    if len(items) > MAX_ITEMS:
        return f"the order has {len(items)} items; at most {MAX_ITEMS}"
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"]:
            return f"item {index} has no sku"
        quantity, price = item.get("quantity"), item.get("price")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 0 < quantity <= MAX_QUANTITY:
            return f"item {index} ({item['sku']}) needs a quantity from 1 to {MAX_QUANTITY}"
        if not isinstance(price, (int, float)) or isinstance(price, bool) or price < 0:
            return f"item {index} ({item['sku']}) needs a price of 0 or more"
    if not isinstance(order.get("payment"), dict):
        return "payment is missing"
    return ""


def validate_order(event, context=None):
    """Check the order and add its total; never raises for a bad order (the Choice state decides)."""
    problem = _problem(event)
    if problem:
        _log("validate", valid=False, reason=problem)
        return {**(event if isinstance(event, dict) else {"order": event}), "valid": False, "reason": problem}
    total = sum(Decimal(str(item["price"])) * item["quantity"] for item in event["items"])
    _log("validate", orderId=event["orderId"], valid=True, total=_money(total))
    return {**event, "valid": True, "total": _money(total)}


def reserve_stock(event, context=None):
    order_id, items = event["orderId"], event["items"]
    short = [item["sku"] for item in items if item["sku"] == "OUT-OF-STOCK"]
    if short:
        raise OutOfStock(f"OutOfStock: no stock for {', '.join(short)}")
    reservation = {"reservationId": f"res-{order_id}", "units": sum(item["quantity"] for item in items)}
    _log("reserve", orderId=order_id, **reservation)
    return reservation


def charge_payment(event, context=None):
    """Charge the order's total; ``attempt`` is the state's retry count (0 on the first attempt)."""
    order_id, payment, attempt = event["orderId"], event.get("payment") or {}, int(event.get("attempt") or 0)
    card = payment.get("card", "ok")
    _log("charge", orderId=order_id, card=card, attempt=attempt)
    if card == "declined":
        raise PaymentDeclined(f"PaymentDeclined: card declined for order {order_id}")
    if card == "unavailable" or (card == "flaky" and attempt < int(payment.get("failures", 1))):
        raise PaymentServiceUnavailable(f"PaymentServiceUnavailable: the provider timed out (attempt {attempt + 1})")
    return {"chargeId": f"ch-{order_id}", "amount": event["amount"], "attempts": attempt + 1}


PAYMENT_ERRORS = ("PaymentDeclined", "PaymentServiceUnavailable")


def _failed_with(event) -> str:
    """The name of the error the Catch recorded in ``$.error``. Step Functions names it after the
    exception's class; an emulator that names every exception alike (MiniStack: Runtime.HandlerError)
    still carries the message, which starts with the class name here."""
    error = event.get("error") or {}
    if not isinstance(error, dict):
        return str(error)
    name = error.get("Error", "")
    try:
        message = json.loads(error.get("Cause") or "{}").get("errorMessage", "")
    except (ValueError, AttributeError):
        message = str(error.get("Cause", ""))
    for known in PAYMENT_ERRORS + ("OutOfStock",):
        if name == known or str(message).startswith(known + ":"):
            return known
    return name


def release_stock(event, context=None):
    """Compensation: give back what the reservation took (idempotent: releasing twice is harmless)."""
    order_id = event["orderId"]
    error = _failed_with(event)
    released = error != "OutOfStock"  # a failed reservation holds nothing
    _log("release", orderId=order_id, released=released, after=error)
    return {"reservationId": f"res-{order_id}", "released": released}


def refund_payment(event, context=None):
    """Compensation: refund the charge if the payment went through. This simulator keeps no record
    of charges, so it decides from the error the Catch recorded: a payment error means nothing was
    charged; any other failure (the reservation) may have come after the charge succeeded."""
    order_id = event["orderId"]
    error = _failed_with(event)
    charged = error not in PAYMENT_ERRORS
    _log("refund", orderId=order_id, refunded=charged, after=error)
    return {"chargeId": f"ch-{order_id}", "refunded": charged, "amount": event.get("total") if charged else "0.00"}


def pack_item(event, context=None):
    """One item of the order, packed (the Map state calls this once per item)."""
    order_id, item = event["orderId"], event["item"]
    package = {"sku": item["sku"], "quantity": item["quantity"], "packageId": f"pkg-{order_id}-{item['sku']}"}
    _log("pack", orderId=order_id, **package)
    return package
