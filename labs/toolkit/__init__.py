"""What labs build again and again, each builder with the check that matches it.

A lab's steps call these instead of repeating boto3 calls: ``iam`` (a function's execution
role with an inline policy, and what a role's policies grant), ``functions`` (zip, deploy and
configure a function, its resource policy), ``buckets`` (buckets, website hosting, Lambda
notifications), ``tables``, ``rest_api`` (Lambda proxy routes, CORS, a stage), ``messaging``
(queues, topics, subscriptions with filter policies, event source mappings), ``events``
(EventBridge buses and rules) and ``calls`` (not-found as None, policy documents, waits). Every builder
is safe to run twice and records what it creates in the run's ledger before creating it.
"""
