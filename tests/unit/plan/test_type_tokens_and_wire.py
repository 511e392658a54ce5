"""The type-token table matches the installed SDKs; wire-name helpers round-trip."""

from __future__ import annotations

import importlib
import inspect

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan, PlanResource, ref
from greentic_iac.plan.type_tokens import (
    SUPPORTED_TYPES,
    check_type_tokens,
    kubernetes_api_version_and_kind,
    sdk_class_for,
    unsupported_types,
)
from greentic_iac.plan.wire import (
    camel_to_snake,
    drop_nones,
    expected_wire_inputs,
    map_refs,
    output_path,
    snake_to_camel,
)


@pytest.mark.parametrize("token", sorted(SUPPORTED_TYPES))
def test_every_token_names_an_sdk_class_registering_that_token(token: str) -> None:
    where = SUPPORTED_TYPES[token]
    cls = getattr(importlib.import_module(where.module), where.name)
    if where.is_custom_resource:
        assert token.startswith("kubernetes:")
    else:
        # The generated class passes its own token to the Pulumi runtime.
        assert f"'{token}'" in inspect.getsource(cls)


def test_unknown_token_is_refused_with_the_resource_name() -> None:
    plan = Plan(
        environment_id="demo",
        target="t",
        resources=[PlanResource(type="aws:made/up:Thing", name="thing")],
    )
    assert unsupported_types(plan) == ["thing"]
    with pytest.raises(InvalidInputError, match=r"resources\.thing\.type"):
        check_type_tokens(plan)
    with pytest.raises(InvalidInputError, match="not a supported"):
        sdk_class_for("aws:made/up:Thing")


def test_kubernetes_api_version_of_core_and_groups() -> None:
    assert kubernetes_api_version_and_kind("kubernetes:core/v1:Namespace") == ("v1", "Namespace")
    assert kubernetes_api_version_and_kind("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute") == (
        "gateway.networking.k8s.io/v1",
        "HTTPRoute",
    )


@pytest.mark.parametrize(
    ("camel", "snake"),
    [
        ("loadBalancerArn", "load_balancer_arn"),
        ("ipv6CidrBlock", "ipv6_cidr_block"),
        ("arn", "arn"),
        ("mapPublicIpOnLaunch", "map_public_ip_on_launch"),
        ("cidrIpv4", "cidr_ipv4"),
    ],
)
def test_camel_and_snake(camel: str, snake: str) -> None:
    assert camel_to_snake(camel) == snake
    assert snake_to_camel(snake) == camel


@given(st.lists(st.text(alphabet="abcdefghij", min_size=2, max_size=6), min_size=1, max_size=4))
def test_snake_round_trips_through_camel(words: list[str]) -> None:
    # Single-letter words ("a_a_a" -> "aAA") read back as acronyms; schemas have none.

    snake = "_".join(words)
    assert camel_to_snake(snake_to_camel(snake)) == snake


def test_output_paths_accept_both_spellings() -> None:
    assert output_path("dns_name") == output_path("dnsName") == ["dnsName"]
    assert output_path("metadata.name") == ["metadata", "name"]


def test_map_refs_and_drop_nones() -> None:
    value = {"a": [ref("x", "arn"), {"b": None}], "c": None}
    assert map_refs(value, lambda r, o: f"{r}:{o}") == {"a": ["x:arn", {"b": None}], "c": None}
    assert drop_nones(value) == {"a": [ref("x", "arn"), {}]}


def test_expected_inputs_add_kubernetes_api_version_and_kind() -> None:
    resource = PlanResource(
        type="kubernetes:apps/v1:Deployment",
        name="d",
        properties={"metadata": {"namespace": ref("ns", "metadata.name")}},
    )
    expected = expected_wire_inputs(resource, lambda r, o: "ns-value")
    assert expected == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"namespace": "ns-value"},
    }
