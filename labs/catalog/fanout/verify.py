"""The order fan-out lab's verify: 20 orders through POST /orders, then what each consumer wrote,
the filter policy's effect, a cancellation event, a redelivered message, and a poison message in a
batch of good ones. Every check reads what the deployed functions really did (tables, queues, the
consumer's own log lines), never a setting."""

import json
import time
from decimal import Decimal

from labs.aws import log_events
from labs.catalog.fanout.names import (
    CANCELLED, MAX_RECEIVES, ORDER_SOURCE, bus_name, dlq_name, function_name, queue_name, table_name,
)
from labs.engine.lab import CheckResult, Context, VerifyCheck
from labs.toolkit import messaging
from labs.toolkit.functions import log_tail

ORDERS = 20
WAIT = 30.0  # seconds for deliveries
POISON_WAIT = 60.0  # three receives, a visibility timeout apart, then the move to the DLQ


def _json(result):
    try:
        return result.json()
    except ValueError:
        return None


def _order(ctx: Context, index: int, stamp: str) -> dict:
    physical = index % 5 < 3  # 12 physical, 8 digital
    price = Decimal("4.50") + index
    return {"orderId": f"{stamp}-{index:02d}", "customer": f"customer-{index % 7}",
            "fulfilment": "physical" if physical else "digital",
            "items": [{"sku": "BOOK-1" if physical else "EBOOK-1", "quantity": 2, "price": str(price)}]}


def _total(order: dict) -> Decimal:
    return sum(Decimal(i["price"]) * i["quantity"] for i in order["items"]).quantize(Decimal("0.01"))


def _items(ctx: Context, what: str, ids: list[str]) -> dict[str, dict]:
    """The items of ``ids`` in the ``what`` table (BatchGetItem, 100 at a time)."""
    dynamodb, table, found = ctx.clients.dynamodb, table_name(ctx.name, what), {}
    for start in range(0, len(ids), 100):
        keys = [{"orderId": {"S": order_id}} for order_id in ids[start:start + 100]]
        while keys:
            answer = dynamodb.batch_get_item(RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
            for item in answer.get("Responses", {}).get(table, []):
                found[item["orderId"]["S"]] = item
            keys = answer.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
    return found


def _wait_items(ctx: Context, what: str, ids: list[str], timeout: float = WAIT) -> dict[str, dict]:
    deadline, found = time.monotonic() + timeout, {}
    while True:
        found = _items(ctx, what, ids)
        if len(found) == len(ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def _queue_depth(ctx: Context, queue: str) -> int:
    sqs = ctx.clients.sqs
    attributes = sqs.get_queue_attributes(QueueUrl=messaging.queue_url(sqs, queue), AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"])
    return sum(int(value) for value in attributes["Attributes"].values())


def verify_orders(ctx: Context) -> CheckResult:
    stamp = f"{ctx.name.prefix}-{int(time.time() * 1000) % 10**9}"
    bad = ctx.deployment.api("POST", "/orders", json_body={"customer": "x", "fulfilment": "teleport", "items": []})
    if bad.status != 400:
        return CheckResult.failed(f"POST /orders with an invalid order answered {bad.status}, not 400 with a JSON error.")
    orders = [_order(ctx, index, stamp) for index in range(ORDERS)]
    for order in orders:
        answer = ctx.deployment.api("POST", "/orders", json_body=order)
        body = _json(answer)
        if answer.status != 201 or not isinstance(body, dict) or body.get("orderId") != order["orderId"]:
            why = f" {log_tail(ctx, function_name(ctx.name, 'api'))}" if answer.status >= 500 else ""
            return CheckResult.failed(f"POST /orders answered {answer.status}: "
                                      f"{answer.body[:300].decode('utf-8', 'replace')}{why}")
    stored = _items(ctx, "orders", [order["orderId"] for order in orders])
    placed = [order_id for order_id, item in stored.items() if item.get("status", {}).get("S") == "PLACED"]
    if len(placed) != ORDERS:
        return CheckResult.failed(f"POST /orders answered 201 {ORDERS} times, but the orders table holds "
                                  f"{len(placed)} of them as PLACED.")
    ctx.scratch["orders"] = orders
    return CheckResult.passed(f"POST /orders took {ORDERS} orders (201 each; an invalid one got 400); all are in "
                              f"{table_name(ctx.name, 'orders')} as PLACED.")


def verify_billing(ctx: Context) -> CheckResult:
    orders = ctx.scratch.get("orders")
    if not orders:
        return CheckResult.failed("Skipped: no orders were placed.")
    billed = _wait_items(ctx, "billing", [order["orderId"] for order in orders])
    if len(billed) != len(orders):
        return CheckResult.failed(
            f"{len(billed)} of {len(orders)} orders reached {table_name(ctx.name, 'billing')} within {WAIT:.0f} s. "
            f"Is the billing queue subscribed, does its policy let the topic send, does its consumer run? "
            f"{log_tail(ctx, function_name(ctx.name, 'billing'), never_invoked='no message reached the queue')}")
    wrong = [o["orderId"] for o in orders if Decimal(billed[o["orderId"]]["amount"]["N"]) != _total(o)]
    if wrong:
        return CheckResult.failed(f"Billing wrote the wrong amount for {', '.join(wrong[:3])}.")
    return CheckResult.passed(f"All {len(orders)} orders reached billing (SNS, SQS, the consumer), each with its amount.")


def verify_shipping(ctx: Context) -> CheckResult:
    orders = ctx.scratch.get("orders")
    if not orders:
        return CheckResult.failed("Skipped: no orders were placed.")
    physical = [o["orderId"] for o in orders if o["fulfilment"] == "physical"]
    digital = [o["orderId"] for o in orders if o["fulfilment"] == "digital"]
    shipped = _wait_items(ctx, "shipping", physical)
    if len(shipped) != len(physical):
        return CheckResult.failed(
            f"{len(shipped)} of {len(physical)} physical orders reached {table_name(ctx.name, 'shipping')} within "
            f"{WAIT:.0f} s. {log_tail(ctx, function_name(ctx.name, 'shipping'), never_invoked='nothing reached it')}")
    deadline = time.monotonic() + WAIT
    while _queue_depth(ctx, queue_name(ctx.name, "shipping")) and time.monotonic() < deadline:
        time.sleep(0.3)  # whatever was delivered is processed before we look for digital orders
    leaked = _items(ctx, "shipping", digital)
    if leaked:
        return CheckResult.failed(f"{len(leaked)} digital order(s) reached shipping (e.g. {next(iter(leaked))}): the "
                                  "shipping subscription's filter policy lets them through.")
    return CheckResult.passed(f"The {len(physical)} physical orders reached shipping; none of the {len(digital)} "
                              "digital ones did (the filter policy, applied by SNS before delivery).")


def verify_cancel(ctx: Context) -> CheckResult:
    orders = ctx.scratch.get("orders")
    if not orders:
        return CheckResult.failed("Skipped: no orders were placed.")
    cancelled, other = orders[0]["orderId"], orders[1]["orderId"]
    bus = bus_name(ctx.name)
    sent = ctx.clients.events.put_events(Entries=[
        {"EventBusName": bus, "Source": ORDER_SOURCE, "DetailType": "order.updated", "Detail": json.dumps({"orderId": other})},
        {"EventBusName": bus, "Source": ORDER_SOURCE, "DetailType": CANCELLED, "Detail": json.dumps({"orderId": cancelled})},
    ])
    if sent.get("FailedEntryCount"):
        return CheckResult.failed(f"EventBridge refused the events: {sent.get('Entries')}")
    deadline, status = time.monotonic() + WAIT, ""
    while time.monotonic() < deadline:
        status = _items(ctx, "orders", [cancelled]).get(cancelled, {}).get("status", {}).get("S", "")
        if status == "CANCELLED":
            break
        time.sleep(0.3)
    if status != "CANCELLED":
        return CheckResult.failed(
            f"An {CANCELLED} event for order {cancelled} on {bus} left it {status or 'missing'} after {WAIT:.0f} s. "
            f"{log_tail(ctx, function_name(ctx.name, 'cancel'), never_invoked='the rule did not route the event to it')}")
    time.sleep(0.5)
    if _items(ctx, "orders", [other]).get(other, {}).get("status", {}).get("S") != "PLACED":
        return CheckResult.failed(f"An order.updated event cancelled order {other}: the rule matches more than "
                                  f"{CANCELLED}.")
    return CheckResult.passed(f"An {CANCELLED} event on {bus} marked order {cancelled} CANCELLED; an order.updated "
                              "event on the same bus changed nothing.")


def envelope(ctx: Context, message_id: str, message: str) -> str:
    """An SQS body as SNS delivers it (the JSON envelope), for a message the verify puts in a queue itself."""
    topic = ctx.outputs.get("topic_arn") or messaging.topic_arn(ctx.clients.sns, ctx.name("orders-topic"))
    return json.dumps({"Type": "Notification", "MessageId": message_id, "TopicArn": topic, "Message": message,
                       "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())})


def verify_redelivery(ctx: Context) -> CheckResult:
    orders = ctx.scratch.get("orders")
    if not orders:
        return CheckResult.failed("Skipped: no orders were placed.")
    order = orders[2]
    before = _items(ctx, "billing", [order["orderId"]]).get(order["orderId"])
    if not before:
        return CheckResult.failed(f"Skipped: order {order['orderId']} never reached billing.")
    message = dict(order, total=str(_total(order)))
    sqs = ctx.clients.sqs
    sqs.send_message(QueueUrl=messaging.queue_url(sqs, queue_name(ctx.name, "billing")),
                     MessageBody=envelope(ctx, before["messageId"]["S"], json.dumps(message)))
    deadline, after = time.monotonic() + WAIT, before
    while time.monotonic() < deadline:
        after = _items(ctx, "billing", [order["orderId"]])[order["orderId"]]
        if "duplicates" in after:
            break
        time.sleep(0.3)
    if "duplicates" not in after:
        return CheckResult.failed(f"The same SNS message for order {order['orderId']} was delivered again, and the "
                                  f"billing item shows no sign the consumer saw it within {WAIT:.0f} s (no duplicates "
                                  f"count). {log_tail(ctx, function_name(ctx.name, 'billing'))}")
    # Only the duplicates count may change. It can exceed 1: delivery is at least once, and a slow
    # invocation (a busy machine) can let a message reappear after its visibility timeout.
    changed = [field for field in ("amount", "messageId", "processedAt") if after.get(field) != before.get(field)]
    if changed:
        return CheckResult.failed(f"A redelivered message changed the billing item of {order['orderId']} "
                                  f"({', '.join(changed)}): the write is not idempotent.")
    return CheckResult.passed(f"A redelivered message for order {order['orderId']} changed nothing: the conditional "
                              f"write found it billed already (duplicates {after['duplicates']['N']}, amount "
                              "unchanged).")


def consumer_log(ctx: Context, what: str, since_ms: int) -> list[dict]:
    """The JSON lines the consumer printed since ``since_ms`` (each batch, each rejected message)."""
    lines = []
    for event in log_events(ctx.clients.logs, f"/aws/lambda/{function_name(ctx.name, what)}", startTime=since_ms):
        text = event.get("message", "").strip()
        if text.startswith("{"):
            try:
                lines.append(json.loads(text))
            except ValueError:
                pass
    return lines


def _in_dlq(ctx: Context) -> set[str]:
    """The message ids the billing DLQ shows now (they stay in it: the receive only hides them 1 s)."""
    sqs = ctx.clients.sqs
    url = messaging.queue_url(sqs, dlq_name(ctx.name, "billing"))
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, VisibilityTimeout=1)
    return {message["MessageId"] for message in answer.get("Messages", [])}


def _send_batch(ctx: Context, stamp: str) -> tuple[list[dict], list[str], list[str], str]:
    """Eight good orders and two poison messages (3rd and 8th) in one SendMessageBatch: (the good
    orders, their message ids, the poison ids, what failed)."""
    good = [_order(ctx, index, stamp) for index in range(8)]
    entries = [{"Id": f"good{index}", "MessageBody": envelope(ctx, f"{stamp}-m{index}",
                                                              json.dumps(dict(o, total=str(_total(o)))))}
               for index, o in enumerate(good)]
    for position in (2, 7):
        entries.insert(position, {"Id": f"poison{position}",
                                  "MessageBody": envelope(ctx, f"{stamp}-poison{position}", "this is not an order {")})
    for entry in entries:
        # All ten become visible together a second later, so the poller finds them in one batch rather
        # than the first alone (it wakes as soon as something is sent). Two poison messages far apart
        # make sure at least one shares a batch with good ones even if a busy machine splits it.
        entry["DelaySeconds"] = 1
    sqs = ctx.clients.sqs
    sent = sqs.send_message_batch(QueueUrl=messaging.queue_url(sqs, queue_name(ctx.name, "billing")), Entries=entries)
    ids = {entry["Id"]: entry["MessageId"] for entry in sent.get("Successful", [])}
    poisons = [ids[key] for key in ids if key.startswith("poison")]
    goods = [ids[key] for key in ids if key.startswith("good")]
    return good, goods, poisons, str(sent.get("Failed") or "")


def verify_poison(ctx: Context) -> CheckResult:
    stamp = f"{ctx.name.prefix}-p{int(time.time() * 1000) % 10**9}"
    since_ms = int(time.time() * 1000) - 1000
    good, goods, poisons, failed = _send_batch(ctx, stamp)
    if failed or len(poisons) != 2 or len(goods) != 8:
        return CheckResult.failed(f"The billing queue refused the verify's batch: {failed}")
    deadline, empty_since, moved = time.monotonic() + POISON_WAIT, None, set()
    while time.monotonic() < deadline and len(moved) < len(poisons):
        moved |= _in_dlq(ctx) & set(poisons)
        if len(moved) < len(poisons) and _queue_depth(ctx, queue_name(ctx.name, "billing")) == 0:
            empty_since = empty_since or time.monotonic()
            if time.monotonic() - empty_since > 3:
                break  # gone from the queue and not in the DLQ: deleted
        else:
            empty_since = None
    lines = consumer_log(ctx, "billing", since_ms)
    for poison in poisons:
        receives = sorted(line.get("receiveCount", 0) for line in lines if line.get("rejected") == poison)
        if poison not in moved:
            return CheckResult.failed(
                f"A poison message was rejected {len(receives)} time(s) and is not in {dlq_name(ctx.name, 'billing')}"
                + (": it left the queue anyway, so the consumer's list of failed messages was ignored (is "
                   "ReportBatchItemFailures on?)." if empty_since else f" after {POISON_WAIT:.0f} s."))
        if receives != list(range(1, MAX_RECEIVES + 1)):
            return CheckResult.failed(f"A poison message reached the DLQ after the consumer saw it with receive "
                                      f"counts {receives}, not 1 to {MAX_RECEIVES}.")
    batches = [line for line in lines if "batch" in line]
    firsts = [next((b for b in batches if poison in b.get("records", [])), {}) for poison in poisons]
    mates = {m for first in firsts for m in first.get("records", []) if m in goods}
    if not mates:
        return CheckResult.failed("None of the good messages sent with the poison messages shared a batch with them, "
                                  "so the check cannot tell whether they would be processed twice: run the verify "
                                  "again.")
    twice = [m for m in goods if sum(m in b.get("processed", []) + b.get("duplicates", []) for b in batches) != 1]
    billed = _items(ctx, "billing", [o["orderId"] for o in good])
    if twice or len(billed) != len(good) or any("duplicates" in item for item in billed.values()):
        return CheckResult.failed(f"Good messages of the poison messages' batches were processed more than once (or "
                                  f"not at all): {twice or 'see the duplicates count in billing'}. Only the poison "
                                  "messages should come back.")
    return CheckResult.passed(f"Both poison messages went to the DLQ after {MAX_RECEIVES} receives each; the "
                              f"{len(mates)} good message(s) that shared their batch were billed once and never again "
                              "(ReportBatchItemFailures).")


CHECKS = (
    VerifyCheck("orders", "POST /orders takes 20 orders", verify_orders),
    VerifyCheck("billing", "Every order reaches billing", verify_billing),
    VerifyCheck("shipping", "Only physical orders reach shipping", verify_shipping),
    VerifyCheck("cancel", "An order.cancelled event cancels the order", verify_cancel),
    VerifyCheck("redelivery", "A redelivered message changes nothing", verify_redelivery),
    VerifyCheck("poison", "A poison message goes to the DLQ after 3 receives, alone", verify_poison),
)
