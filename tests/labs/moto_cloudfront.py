"""What moto 5.2.5's CloudFront lacks for the edge lab, added for tests (a pytest fixture):

- PublishFunction, and the two stages of a CloudFront Function: moto keeps one copy of the code,
  so ``Stage=LIVE`` would answer for a function that was never published. Here a function has
  LIVE code only once published, and DescribeFunction/GetFunction with ``Stage=LIVE`` answer
  NoSuchFunctionExists until then.
- A distribution's ``OriginAccessControlId`` and the default behaviour's ``FunctionAssociations``
  and ``LambdaFunctionAssociations``: moto drops them (it stores ``{"Quantity": 0}``).

The rest (distributions and their ETags, origin access controls, tags) is moto's own.
``aws_world`` calls :func:`extend`.
"""

def extend(monkeypatch) -> None:
    from moto.cloudfront import models, responses, urls
    from moto.cloudfront.exceptions import NoSuchFunctionExists
    from moto.core.responses import ActionResult
    from moto.moto_api._internal import mock_random

    monkeypatch.setitem(urls.url_paths, "{0}/2020-05-31/function/(?P<function_name>[^/]+)/publish$",
                        responses.CloudFrontResponse.dispatch)

    original_behaviour = models.DefaultCacheBehaviour.__init__

    def behaviour_init(self, config):
        original_behaviour(self, config)
        self.lambda_function_associations = config.get("LambdaFunctionAssociations") or {"Quantity": 0}
        self.function_associations = config.get("FunctionAssociations") or {"Quantity": 0}

    monkeypatch.setattr(models.DefaultCacheBehaviour, "__init__", behaviour_init)
    original_origin = models.Origin.__init__

    def origin_init(self, origin):
        original_origin(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    monkeypatch.setattr(models.Origin, "__init__", origin_init)

    def staged(self, name):
        function = self.backend.describe_function(name=name)
        if self._get_param("Stage") == "LIVE":
            if getattr(function, "live_code", None) is None:
                raise NoSuchFunctionExists(name)
            summary = dict(function.function_summary, Status="DEPLOYED")
            summary["FunctionMetadata"] = dict(summary["FunctionMetadata"], Stage="LIVE")
            return function, summary, function.live_code, function.live_etag
        return function, function.function_summary, function.code, function.etag

    def describe_function(self):
        _, summary, _, etag = staged(self, self._get_param("Name"))
        return ActionResult({"FunctionSummary": summary, "ETag": etag})

    def get_function(self):
        _, _, code, etag = staged(self, self._get_param("Name"))
        return ActionResult({"FunctionCode": code, "ETag": etag, "ContentType": "application/octet-stream"})

    def publish_function(self):
        function = self.backend.describe_function(name=self._get_param("Name"))
        function.live_code, function.live_etag = function.code, mock_random.get_random_hex(13).upper()
        function.status = "DEPLOYED"
        return ActionResult({"FunctionSummary": dict(function.function_summary, Status="DEPLOYED")})

    monkeypatch.setattr(responses.CloudFrontResponse, "describe_function", describe_function, raising=False)
    monkeypatch.setattr(responses.CloudFrontResponse, "get_function", get_function, raising=False)
    monkeypatch.setattr(responses.CloudFrontResponse, "publish_function", publish_function, raising=False)
