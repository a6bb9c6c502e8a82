"""EventBridge: a custom event bus, a rule on it with an event pattern and a Lambda target, each
made once (recorded first) and tagged; and the checks that read them back."""

import json

from labs.engine.lab import CheckResult, Context, Found
from labs.toolkit.calls import missing


def bus_arn(events, name: str) -> str | None:
    found = missing(events.describe_event_bus, Name=name)
    return found["Arn"] if found else None


def ensure_bus(ctx: Context, name: str) -> str:
    """The custom event bus named ``name``; its ARN."""
    events = ctx.clients.events
    arn = bus_arn(events, name)
    if arn is None:
        with ctx.creating("events:event-bus", name, name) as made:
            arn = made.arn = events.create_event_bus(Name=name, Tags=ctx.tag_list())["EventBusArn"]
    return arn


def rule_of(events, bus: str, rule: str) -> dict | None:
    return missing(events.describe_rule, Name=rule, EventBusName=bus)


def ensure_rule(ctx: Context, *, bus: str, rule: str, pattern: dict, target_id: str, target_arn: str,
                description: str) -> str:
    """The rule on ``bus`` matching ``pattern``, enabled, sending to ``target_arn``; its ARN."""
    events = ctx.clients.events
    found = rule_of(events, bus, rule)
    wanted = json.dumps(pattern, sort_keys=True)
    if found is None:
        with ctx.creating("events:rule", rule, f"{bus}/{rule}") as made:
            made.arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=wanted, State="ENABLED",
                                       Description=description, Tags=ctx.tag_list())["RuleArn"]
        arn = made.arn
    else:
        arn = found["Arn"]
        if json.loads(found.get("EventPattern") or "{}") != pattern or found.get("State") != "ENABLED":
            events.put_rule(Name=rule, EventBusName=bus, EventPattern=wanted, State="ENABLED", Description=description)
    targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus).get("Targets", [])
    if not any(t["Id"] == target_id and t["Arn"] == target_arn for t in targets):
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": target_id, "Arn": target_arn}])
    return arn


def pattern_problem(have: dict, wanted: dict) -> str:
    """What keeps ``have`` from matching exactly the events ``wanted`` describes ("" if nothing):
    each field of ``wanted`` must be there with the same values, and nothing more."""
    for field, values in wanted.items():
        if field not in have:
            return f"the pattern does not test {field!r}, so it matches more than it should; it should be {values}"
        if have[field] != values:
            return f"the pattern's {field!r} is {json.dumps(have[field])}; it should be {json.dumps(values)}"
    extra = sorted(set(have) - set(wanted))
    if extra:
        return f"the pattern also tests {', '.join(extra)}, which the lab's events may not carry"
    return ""


def check_rule(ctx: Context, *, bus: str, rule: str, pattern: dict, target_arn: str, function: str) -> CheckResult:
    events = ctx.clients.events
    if bus_arn(events, bus) is None:
        return CheckResult.failed(f"There is no event bus named {bus}. Create a custom event bus with that name.")
    found = rule_of(events, bus, rule)
    if found is None:
        return CheckResult.failed(f"The bus {bus} has no rule named {rule}. Create it on that bus (not on the default "
                                  f"bus) with the event pattern {json.dumps(pattern)}.")
    problem = pattern_problem(json.loads(found.get("EventPattern") or "{}"), pattern)
    if problem:
        return CheckResult.failed(f"The rule {rule} will not route the right events: {problem}. Edit its event "
                                  "pattern.")
    if found.get("State") != "ENABLED":
        return CheckResult.failed(f"The rule {rule} is {found.get('State')}: enable it.")
    targets = events.list_targets_by_rule(Rule=rule, EventBusName=bus).get("Targets", [])
    if not any(t["Arn"] == target_arn for t in targets):
        return CheckResult.failed(f"The rule {rule} matches, but does not send to the function {function}: add it as "
                                  "the rule's target.")
    return CheckResult.passed(f"Rule {rule} on {bus} sends {pattern.get('detail-type', ['events'])[0]} events to "
                              f"{function}.", Found("events:event-bus", bus, bus, bus_arn(events, bus) or ""),
                              Found("events:rule", rule, f"{bus}/{rule}", found["Arn"]))
