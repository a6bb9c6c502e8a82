"""Deleters for the services the later labs added (streams, mappings, catalogs, state machines,
user pools, GraphQL APIs, event buses and rules): see :mod:`labs.engine.resources`, which registers them."""

from labs.aws import is_not_found
from labs.engine.deletion import DELETED, GONE, _gone_if_missing


def delete_event_source_mapping(clients, physical_id, name):
    # physical_id is the mapping's UUID; without it (the answer never reached the ledger) it is found by its
    # function and source: name is "<function>/<stream or queue name>".
    lambda_ = clients.lambda_
    uuids = [physical_id] if physical_id and physical_id != name and "/" not in physical_id else []
    if not uuids:
        function, _, source = name.partition("/")
        try:
            uuids = [m["UUID"] for page in lambda_.get_paginator("list_event_source_mappings").paginate(FunctionName=function)
                     for m in page.get("EventSourceMappings", [])
                     if m.get("EventSourceArn", "").rsplit("/", 1)[-1].rsplit(":", 1)[-1] == source]
        except Exception as error:  # noqa: BLE001
            if is_not_found(error):
                return GONE
            raise
    outcomes = []
    for uuid in uuids:
        # Look first: not every implementation answers "not found" to deleting one that is gone.
        if _gone_if_missing(lambda_.get_event_source_mapping, UUID=uuid) == GONE:
            outcomes.append(GONE)
        else:
            outcomes.append(_gone_if_missing(lambda_.delete_event_source_mapping, UUID=uuid))
    return DELETED if DELETED in outcomes else GONE


def delete_kinesis_stream(clients, physical_id, name):
    return _gone_if_missing(clients.kinesis.delete_stream, StreamName=physical_id, EnforceConsumerDeletion=True)


def delete_delivery_stream(clients, physical_id, name):
    return _gone_if_missing(clients.firehose.delete_delivery_stream, DeliveryStreamName=physical_id, AllowForceDelete=True)


def delete_glue_database(clients, physical_id, name):
    # Deleting a database deletes its tables. Its tags go first: moto's tagging API would still list them.
    glue = clients.glue
    try:
        catalog = glue.get_database(Name=physical_id)["Database"].get("CatalogId", "")
        if catalog:
            arn = f"arn:aws:glue:{glue.meta.region_name}:{catalog}:database/{physical_id}"
            keys = list(glue.get_tags(ResourceArn=arn).get("Tags", {}))
            if keys:
                glue.untag_resource(ResourceArn=arn, TagsToRemove=keys)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(glue.delete_database, Name=physical_id)


def delete_state_machine(clients, physical_id, name):
    # physical_id is its ARN. Running executions are stopped first: AWS would end them at their next
    # transition anyway, MiniStack would let them run on against deleted functions.
    sfn = clients.stepfunctions
    try:
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=physical_id, statusFilter="RUNNING"):
            for execution in page.get("executions", []):
                sfn.stop_execution(executionArn=execution["executionArn"], error="Teardown",
                                   cause="The lab run is being torn down.")
        sfn.describe_state_machine(stateMachineArn=physical_id)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    sfn.delete_state_machine(stateMachineArn=physical_id)
    return DELETED


def delete_user_pool(clients, physical_id, name):
    # Its app clients, groups and users go with it. Without the id (the create call's answer never
    # reached the ledger) the pool is found by name.
    idp = clients["cognito-idp"]
    ids = [physical_id] if physical_id and physical_id != name else [
        pool["Id"] for page in idp.get_paginator("list_user_pools").paginate(MaxResults=60)
        for pool in page.get("UserPools", []) if pool.get("Name") == name]
    outcomes = [_gone_if_missing(idp.delete_user_pool, UserPoolId=pool_id) for pool_id in ids]
    return DELETED if DELETED in outcomes else GONE


def delete_graphql_api(clients, physical_id, name):
    # Its API keys, schema, data sources and resolvers go with it.
    appsync = clients.appsync
    ids = [physical_id] if physical_id and physical_id != name else [
        api["apiId"] for page in appsync.get_paginator("list_graphql_apis").paginate()
        for api in page.get("graphqlApis", []) if api.get("name") == name]
    outcomes = [_gone_if_missing(appsync.delete_graphql_api, apiId=api_id) for api_id in ids]
    return DELETED if DELETED in outcomes else GONE


def delete_event_bus(clients, physical_id, name):
    events = clients.events
    bus = physical_id or name
    try:
        events.describe_event_bus(Name=bus)
        # A bus cannot go while rules are on it: a rule made by hand is the learner's too.
        for rule in events.list_rules(EventBusName=bus).get("Rules", []):
            delete_rule(clients, f"{bus}/{rule['Name']}", rule["Name"])
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    events.delete_event_bus(Name=bus)  # answers 200 even when gone, so look first
    return DELETED


def delete_rule(clients, physical_id, name):
    events = clients.events
    bus, _, rule = physical_id.rpartition("/") if "/" in physical_id else ("default", "", physical_id or name)
    try:
        # A rule cannot be deleted while it has targets.
        targets = [t["Id"] for t in events.list_targets_by_rule(Rule=rule, EventBusName=bus).get("Targets", [])]
        if targets:
            events.remove_targets(Rule=rule, EventBusName=bus, Ids=targets)
    except Exception as error:  # noqa: BLE001
        if is_not_found(error):
            return GONE
        raise
    return _gone_if_missing(events.delete_rule, Name=rule, EventBusName=bus)
