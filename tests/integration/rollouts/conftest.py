"""The health tests' fake cluster (kubectl playing back recorded Deployment status, the
fake pulumi beside it) and boto3 pointed at moto_server, for rollouts on cloud targets."""

from tests.integration.health.conftest import aws, cluster, home

__all__ = ["aws", "cluster", "home"]
