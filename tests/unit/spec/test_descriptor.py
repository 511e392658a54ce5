"""PackDescriptor parse/render (seed 001's rules) and SemVer requirements."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from greentic_iac.spec import PackDescriptor, SemVer, VersionReq

segment = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
number = st.integers(min_value=0, max_value=10_000)
prerelease = st.lists(
    st.from_regex(r"[a-z][a-z0-9-]{0,5}|[1-9][0-9]{0,3}|0", fullmatch=True), max_size=3
)


@given(
    segments=st.lists(segment, min_size=3, max_size=5),
    major=number,
    minor=number,
    patch=number,
    pre=prerelease,
)
def test_descriptor_round_trips(
    segments: list[str], major: int, minor: int, patch: int, pre: list[str]
) -> None:
    version = f"{major}.{minor}.{patch}" + (("-" + ".".join(pre)) if pre else "")
    text = ".".join(segments) + "@" + version
    descriptor = PackDescriptor.parse(text)
    assert str(descriptor) == text
    assert descriptor.path == ".".join(segments)
    assert PackDescriptor.parse(str(descriptor)) == descriptor


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Acme.Secrets@1", "lowercase"),
        ("acme.secrets.vault@1", "SemVer"),
        ("acme.secrets.vault@0.4.2@1.0.0", "exactly one '@'"),
        ("acme.secrets.vault", "exactly one '@'"),
        ("acme.secrets@1.0.0", "three"),
        ("acme..vault@1.0.0", "three"),
        ("acme.secrets.vault@01.0.0", "SemVer"),
        ("acme.secrets.va_ult@1.0.0", "lowercase"),
        ("acme.secrets.vault@1.0.0-RC1", "lowercase"),
        ("acme.secrets.-vault@1.0.0", "three"),
        ("acme.secrets.vault @1.0.0", "lowercase"),
    ],
)
def test_malformed_descriptors_are_refused(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        PackDescriptor.parse(text)


def test_descriptor_family_and_namespace() -> None:
    descriptor = PackDescriptor.parse("greentic.deployer.aws-ecs@1.0.0")
    assert descriptor.namespace == "greentic"
    assert descriptor.family == "deployer"
    assert descriptor.version == SemVer(1, 0, 0)


@pytest.mark.parametrize(
    ("req", "version", "expected"),
    [
        ("^0.1", "0.1.0", True),
        ("^0.1", "0.1.9", True),
        ("^0.1", "0.2.0", False),
        ("^0.1.0", "0.1.5", True),
        ("^0.0.3", "0.0.4", False),
        ("^1.0", "1.9.9", True),
        ("^1.0", "2.0.0", False),
        ("^1.0", "2.0.0-rc.1", False),
        ("^1.0", "1.2.0-rc.1", False),
        ("~1.2", "1.2.9", True),
        ("~1.2", "1.3.0", False),
        ("~1", "1.9.0", True),
        (">=1.0.0, <1.5.0", "1.4.9", True),
        (">=1.0.0, <1.5.0", "1.5.0", False),
        ("=1.2.3", "1.2.3", True),
        ("=1.2.3", "1.2.4", False),
        ("^0.4", "0.4.2", True),
        ("^0.4", "9.9.9", False),
        (">=3.100.0", "3.120.0", True),
        ("^1.0.0-beta", "1.0.0-beta.2", True),
    ],
)
def test_version_requirements(req: str, version: str, expected: bool) -> None:
    assert VersionReq.parse(req).matches(SemVer.parse(version)) is expected


@pytest.mark.parametrize("req", ["", "^", "^x.1", ">=1.0.0,", "1.0.0.0", "^1.a"])
def test_malformed_requirements_are_refused(req: str) -> None:
    with pytest.raises(ValueError):
        VersionReq.parse(req)


@given(a=st.tuples(number, number, number), b=st.tuples(number, number, number))
def test_semver_order_matches_tuple_order(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    assert (SemVer(*a) < SemVer(*b)) == (a < b)


def test_prerelease_sorts_before_release() -> None:
    versions = [
        "1.0.0",
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
    ]
    parsed = sorted(SemVer.parse(v) for v in versions)
    assert [str(v) for v in parsed] == [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
    ]
