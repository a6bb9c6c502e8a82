"""What moto 5.2.5's RDS lacks for the serverless relational lab, added for tests:

- EnableHttpEndpoint and DisableHttpEndpoint (the RDS Data API switch): moto does not implement them,
  and keeps ``HttpEndpointEnabled`` false for every cluster that is not Serverless v1.

The rest (clusters, db.serverless instances, RDS-managed master secrets, proxies and their targets) is
moto's own. ``aws_world`` calls :func:`extend`.
"""


def extend(monkeypatch) -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBClusterNotFoundError
    from moto.rds.responses import RDSResponse

    def switch(enabled: bool):
        def handler(self) -> ActionResult:
            arn = self.params.get("ResourceArn", "")
            cluster = self.backend.clusters.get(arn.rsplit(":", 1)[-1])
            if cluster is None or cluster.arn != arn:
                raise DBClusterNotFoundError(arn)
            cluster._enable_http_endpoint = enabled
            return ActionResult({"ResourceArn": arn, "HttpEndpointEnabled": enabled})
        return handler

    monkeypatch.setattr(RDSResponse, "enable_http_endpoint", switch(True), raising=False)
    monkeypatch.setattr(RDSResponse, "disable_http_endpoint", switch(False), raising=False)
