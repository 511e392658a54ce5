"""The health tests' fake cluster (kubectl playing back recorded Deployment status, the
fake pulumi beside it), its example Kubernetes environment with one staged revision, and
boto3 pointed at moto_server, for rollouts on cloud targets."""

from tests.integration.health.conftest import aws, cluster, home, k8s_revision

__all__ = ["aws", "cluster", "home", "k8s_revision"]
