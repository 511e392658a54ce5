"""The AWS ECS deployer pack's settings: one pydantic model, the source of its JSON schema.

``envpacks/schemas/greentic.deployer.aws-ecs.settings.json`` is generated from
``AwsEcsSettings`` (``python -m greentic_iac.targets.aws_ecs.schema``); a test fails when
the file is stale. ``ServiceSettings`` is the part a deployment (``BundleDeployment.settings``)
and a revision (``Revision.settings``) may override, key by key.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Fargate task sizes: cpu units -> allowed memory (MiB).
FARGATE_SIZES: Final[dict[int, tuple[int, ...]]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# CloudWatch Logs accepts only these retention periods (0: never expire).
LOG_RETENTION_DAYS: Final = (
    0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip
MAX_STICKINESS_SECONDS: Final = 604_800

_SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$"
    r"|^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/[A-Za-z0-9/_.-]+$"
)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REGION = r"^[a-z]{2}(-[a-z]+)+-\d$"
_VPC_ID = r"^vpc-[0-9a-f]{8,17}$"
_SUBNET_ID = r"^subnet-[0-9a-f]{8,17}$"
_SG_ID = r"^sg-[0-9a-f]{8,17}$"
_CLUSTER_ARN = r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}$"
_LISTENER_ARN = (
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/app/[A-Za-z0-9-]+/"
    r"[0-9a-f]+/[0-9a-f]+$"
)
_CERT_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$"
_CIDR = r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-4])$"

SubnetId = Annotated[str, Field(pattern=_SUBNET_ID)]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateNetwork(_Settings):
    """A new VPC: public subnets (ALB, NAT) and private subnets (tasks) in two zones."""

    mode: Literal["create"] = "create"
    cidr_block: str = Field(default="10.0.0.0/16", pattern=_CIDR)
    availability_zones: list[str] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="two zones; default: <region>a and <region>b",
    )

    @field_validator("cidr_block")
    @classmethod
    def _subnets_fit_an_alb(cls, value: str) -> str:
        from greentic_iac.targets.aws_ecs.rules import subnet_prefix_problem

        problem = subnet_prefix_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    nat: Literal["single", "none"] = Field(
        default="single",
        description=(
            "single: one NAT gateway in the first public subnet, tasks in private subnets; "
            "none: no NAT (cheaper), tasks run in the public subnets with a public IP"
        ),
    )


class ExistingNetwork(_Settings):
    mode: Literal["existing"]
    vpc_id: str = Field(pattern=_VPC_ID)
    public_subnet_ids: list[SubnetId] = Field(min_length=2, description="for the ALB")
    private_subnet_ids: list[SubnetId] = Field(min_length=1, description="for the tasks")
    assign_public_ip: bool = Field(
        default=False, description="true when the task subnets have no NAT route"
    )


class CreateCluster(_Settings):
    mode: Literal["create"] = "create"
    container_insights: bool = False


class ExistingCluster(_Settings):
    mode: Literal["existing"]
    arn: str = Field(pattern=_CLUSTER_ARN)


class CreateLoadBalancer(_Settings):
    mode: Literal["create"] = "create"
    scheme: Literal["internet-facing", "internal"] = "internet-facing"
    idle_timeout: int = Field(default=60, ge=1, le=4000)


class ExistingListener(_Settings):
    """Attach the deployments' rules to a listener someone else owns."""

    mode: Literal["existing"]
    listener_arn: str = Field(pattern=_LISTENER_ARN)
    security_group_id: str = Field(
        pattern=_SG_ID, description="the ALB's security group (tasks accept traffic from it)"
    )
    dns_name: str | None = Field(default=None, max_length=255, description="for stack outputs")
    protocol: Literal["http", "https"] = "https"


class Tls(_Settings):
    certificate_arn: str = Field(pattern=_CERT_ARN)
    redirect_http: bool = True
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class HealthCheck(_Settings):
    path: str = Field(default="/healthz", pattern=r"^/[^\s?#]{0,1023}$")
    healthy_threshold: int = Field(default=3, ge=2, le=10)
    unhealthy_threshold: int = Field(default=3, ge=2, le=10)
    interval: int = Field(default=15, ge=5, le=300)
    timeout: int = Field(default=5, ge=2, le=120)
    matcher: str = Field(default="200-399", pattern=r"^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$")

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> Self:
        if self.timeout >= self.interval:
            raise ValueError("health_check.timeout must be less than health_check.interval")
        return self


class ServiceSettings(_Settings):
    """Per-deployment defaults; a deployment or a revision overrides any key."""

    image_repository: str | None = Field(
        default=None,
        max_length=255,
        pattern=r"^[a-z0-9.-]+(:\d+)?(/[a-z0-9._/-]+)?$",
        description="image = <image_repository>@<bundle_digest> unless Revision.image is set",
    )
    container_port: int = Field(default=8080, ge=1, le=65535)
    cpu: int = Field(default=256, description="Fargate cpu units")
    memory: int = Field(default=512, description="MiB; must be valid for the cpu size")
    desired_count: int = Field(default=1, ge=1, le=1000)
    health_check: HealthCheck = Field(default_factory=HealthCheck)
    deregistration_delay: int = Field(default=30, ge=0, le=3600)
    stickiness_seconds: int | None = Field(
        default=None,
        ge=1,
        le=MAX_STICKINESS_SECONDS,
        description="forward-action stickiness; null: off",
    )
    secrets: dict[str, str] = Field(
        default_factory=dict,
        description="env var -> Secrets Manager or SSM parameter ARN (never a value)",
    )

    @model_validator(mode="after")
    def _fargate_size(self) -> Self:
        allowed = FARGATE_SIZES.get(self.cpu)
        if allowed is None:
            raise ValueError(f"cpu {self.cpu} is not a Fargate size ({sorted(FARGATE_SIZES)})")
        if self.memory not in allowed:
            raise ValueError(
                f"memory {self.memory} MiB is not valid with cpu {self.cpu} "
                f"(allowed {allowed[0]}-{allowed[-1]} in steps of {allowed[1] - allowed[0]})"
            )
        return self

    @field_validator("secrets")
    @classmethod
    def _secret_references(cls, secrets: dict[str, str]) -> dict[str, str]:
        for name, arn in secrets.items():
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(f"secrets.{name}: not a valid environment variable name")
            if not _SECRET_ARN.fullmatch(arn):
                raise ValueError(
                    f"secrets.{name}: must be a Secrets Manager secret ARN or an SSM "
                    "parameter ARN (values never go into settings)"
                )
        return secrets


class AwsEcsSettings(_Settings):
    """Settings of ``greentic.deployer.aws-ecs`` (the binding's ``settings``)."""

    region: str = Field(pattern=_REGION)
    network: CreateNetwork | ExistingNetwork = Field(
        default_factory=CreateNetwork, discriminator="mode"
    )
    cluster: CreateCluster | ExistingCluster = Field(
        default_factory=CreateCluster, discriminator="mode"
    )
    load_balancer: CreateLoadBalancer | ExistingListener = Field(
        default_factory=CreateLoadBalancer, discriminator="mode"
    )
    tls: Tls | None = Field(default=None, description="HTTPS listener; null: HTTP only")
    log_retention_days: int = Field(default=30, description="CloudWatch retention (shared group)")
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    gc_keep_inactive: int = Field(
        default=2, ge=0, le=100, description="inactive revisions kept before flagging for GC"
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise ValueError(f"log_retention_days {value} is not one of {list(LOG_RETENTION_DAYS)}")
        return value

    @model_validator(mode="after")
    def _tls_fits_load_balancer(self) -> Self:
        if isinstance(self.load_balancer, ExistingListener) and self.tls is not None:
            raise ValueError("tls applies to a created load balancer; an existing listener has it")
        if isinstance(self.load_balancer, ExistingListener) and isinstance(
            self.network, CreateNetwork
        ):
            # A target group must be in the listener's VPC (ELBv2 refuses a forward to a
            # target group in another VPC); a new VPC can't be behind an existing listener.
            raise ValueError(
                "network.mode: 'create' can't be used with load_balancer.mode 'existing' "
                "(target groups must be in the listener's VPC); set network.mode 'existing' "
                "with that VPC"
            )
        return self

    def zones(self) -> list[str]:
        if isinstance(self.network, CreateNetwork) and self.network.availability_zones:
            return list(self.network.availability_zones)
        return [f"{self.region}a", f"{self.region}b"]


def merged_service_settings(base: ServiceSettings, overrides: dict[str, Any]) -> ServiceSettings:
    """``base`` with ``overrides`` applied key by key (``health_check`` merges one level)."""
    if not overrides:
        return base
    data = base.model_dump()
    for key, value in overrides.items():
        if key == "health_check" and isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return ServiceSettings.model_validate(data)


def settings_json_schema() -> dict[str, Any]:
    schema = AwsEcsSettings.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "greentic.deployer.aws-ecs settings"
    return schema
