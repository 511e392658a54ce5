"""Canonical JSON, content hash, dependency order and logical names of the Plan IR."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greentic_iac.errors import InvalidInputError
from greentic_iac.plan import Plan, PlanResource, logical_name, ref
from greentic_iac.plan.io import load_plan, plan_summary, plan_to_dict, plan_to_json, write_plan


def _plan(resources: list[PlanResource], **extra: object) -> Plan:
    return Plan(environment_id="demo", target="greentic.example", resources=resources, **extra)


def _three() -> list[PlanResource]:
    return [
        PlanResource(type="aws:ec2/vpc:Vpc", name="vpc", properties={"cidrBlock": "10.0.0.0/16"}),
        PlanResource(
            type="aws:ec2/subnet:Subnet",
            name="subnet-a",
            properties={"vpcId": ref("vpc", "id"), "cidrBlock": "10.0.1.0/24"},
        ),
        PlanResource(
            type="aws:ec2/routeTable:RouteTable",
            name="a-routes",
            properties={"vpcId": ref("vpc", "id")},
            depends_on=["subnet-a"],
        ),
    ]


def test_canonical_json_ignores_list_order_and_key_order() -> None:
    forward = _plan(_three())
    backward = _plan(list(reversed(_three())))
    assert forward.canonical_json() == backward.canonical_json()
    assert forward.content_hash() == backward.content_hash()
    assert forward.content_hash().startswith("sha256:")


def test_content_hash_changes_with_a_property() -> None:
    changed = _three()
    changed[0] = changed[0].model_copy(update={"properties": {"cidrBlock": "10.1.0.0/16"}})
    assert _plan(changed).content_hash() != _plan(_three()).content_hash()


def test_plan_json_round_trips_through_a_file(tmp_path: Path) -> None:
    plan = _plan(_three(), outputs={"vpcId": ref("vpc", "id")})
    path = write_plan(plan, tmp_path / "plan.json")
    assert path.read_text() == plan_to_json(plan)
    assert load_plan(path).content_hash() == plan.content_hash()
    assert json.loads(plan_to_json(plan, pretty=False)) == json.loads(plan_to_json(plan))
    assert plan_to_dict(plan)["content_hash"] == plan.content_hash()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]  # no temp file left


def test_loading_a_broken_plan_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "plan.json"
    broken.write_text('{"environment_id": "demo"}')
    with pytest.raises(InvalidInputError, match=r"plan\.json: not a valid plan"):
        load_plan(broken)
    with pytest.raises(InvalidInputError, match="no such plan file"):
        load_plan(tmp_path / "missing.json")


def test_write_plan_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="does not exist"):
        write_plan(_plan(_three()), tmp_path / "nope" / "plan.json")


def test_summary_counts_types() -> None:
    summary = plan_summary(_plan(_three()))
    assert summary["resources"] == 3
    assert summary["by_type"]["aws:ec2/vpc:Vpc"] == 1


def test_dependency_order_puts_dependencies_first() -> None:
    order = [r.name for r in _plan(_three()).dependency_order()]
    assert order == ["vpc", "subnet-a", "a-routes"]


def test_dependency_order_follows_parents() -> None:
    child = PlanResource(type="aws:ec2/subnet:Subnet", name="a", parent="z")
    parent = PlanResource(type="aws:ec2/vpc:Vpc", name="z")
    assert [r.name for r in _plan([child, parent]).dependency_order()] == ["z", "a"]


def test_dependency_cycle_is_an_error() -> None:
    a = PlanResource(type="aws:ec2/vpc:Vpc", name="a", depends_on=["b"])
    b = PlanResource(type="aws:ec2/vpc:Vpc", name="b", depends_on=["a"])
    with pytest.raises(ValueError, match="cycle"):
        _plan([a, b]).dependency_order()


_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.ABC", min_size=1, max_size=70)


@given(parts=st.lists(_PART, min_size=1, max_size=4), limit=st.integers(min_value=16, max_value=80))
def test_logical_name_fits_and_is_stable(parts: list[str], limit: int) -> None:
    name = logical_name(*parts, max_length=limit)
    assert len(name) <= limit
    assert name == logical_name(*parts, max_length=limit)
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


@given(
    prefix=st.text(alphabet="abcdef", min_size=40, max_size=40),
    a=st.text(alphabet="0123456789", min_size=5, max_size=5),
    b=st.text(alphabet="0123456789", min_size=5, max_size=5),
)
def test_long_names_differing_only_at_the_end_do_not_collide(prefix: str, a: str, b: str) -> None:
    if a == b:
        return
    assert logical_name(prefix, a, max_length=32) != logical_name(prefix, b, max_length=32)
