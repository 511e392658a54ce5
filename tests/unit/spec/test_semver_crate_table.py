"""``VersionReq`` against the Rust ``semver`` crate (dtolnay/semver), case by case.

The cases are the crate's own: the ``Op`` documentation table in ``src/lib.rs`` (each row's
"equivalent to" checked on a grid of release versions) and the match / no-match lists,
canonical spellings and refused inputs of ``tests/test_version_req.rs``, transcribed as
data. A case here that fails is a place where a requirement would mean something other
than it means to Cargo.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from greentic_iac.spec import SemVer, VersionReq
from tests.support.soak import soak_examples

# (requirement, versions it matches, versions it does not match), from test_version_req.rs.
CRATE_CASES: list[tuple[str, list[str], list[str]]] = [
    ("1.0.0", ["1.0.0", "1.1.0", "1.0.1"], ["0.9.9", "0.10.0", "0.1.0", "1.0.0-pre", "1.0.1-pre"]),
    ("=1.0.0", ["1.0.0"], ["1.0.1", "0.9.9", "0.10.0", "0.1.0", "1.0.0-pre"]),
    ("=0.9.0", ["0.9.0"], ["0.9.1", "1.9.0", "0.0.9", "0.9.0-pre"]),
    ("=0.0.2", ["0.0.2"], ["0.0.1", "0.0.3", "0.0.2-pre"]),
    ("=0.1.0-beta2.a", ["0.1.0-beta2.a"], ["0.9.1", "0.1.0", "0.1.1-beta2.a", "0.1.0-beta2"]),
    ("=0.1.0+meta", ["0.1.0", "0.1.0+meta", "0.1.0+any"], []),
    (">= 1.0.0", ["1.0.0", "2.0.0"], ["0.1.0", "0.0.1", "1.0.0-pre", "2.0.0-pre"]),
    (
        ">= 2.1.0-alpha2",
        ["2.1.0-alpha2", "2.1.0-alpha3", "2.1.0", "3.0.0"],
        ["2.0.0", "2.1.0-alpha1", "2.0.0-alpha2", "3.0.0-alpha2"],
    ),
    ("< 1.0.0", ["0.1.0", "0.0.1"], ["1.0.0", "1.0.0-beta", "1.0.1", "0.9.9-alpha"]),
    (
        "<= 2.1.0-alpha2",
        ["2.1.0-alpha2", "2.1.0-alpha1", "2.0.0", "1.0.0"],
        ["2.1.0", "2.2.0-alpha1", "2.0.0-alpha2", "1.0.0-alpha2"],
    ),
    (">1.0.0-alpha, <1.0.0", ["1.0.0-beta"], []),
    (">1.0.0-alpha, <1.0", [], ["1.0.0-beta"]),
    (">1.0.0-alpha, <1", [], ["1.0.0-beta"]),
    ("> 0.0.9, <= 2.5.3", ["0.0.10", "1.0.0", "2.5.3"], ["0.0.8", "2.5.4"]),
    ("0.3.0, 0.4.0", [], ["0.0.8", "0.3.0", "0.4.0"]),
    ("<= 0.2.0, >= 0.5.0", [], ["0.0.8", "0.3.0", "0.5.1"]),
    ("0.1.0, 0.1.4, 0.1.6", ["0.1.6", "0.1.9"], ["0.1.0", "0.1.4", "0.2.0"]),
    (
        ">=0.5.1-alpha3, <0.6",
        ["0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"],
        ["0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0", "0.6.0-pre"],
    ),
    ("~1", ["1.0.0", "1.0.1", "1.1.1"], ["0.9.1", "2.9.0", "0.0.9"]),
    ("~1.2", ["1.2.0", "1.2.1"], ["1.1.1", "1.3.0", "0.0.9"]),
    ("~1.2.2", ["1.2.2", "1.2.4"], ["1.2.1", "1.9.0", "1.0.9", "2.0.1", "0.1.3"]),
    (
        "~1.2.3-beta.2",
        ["1.2.3", "1.2.4", "1.2.3-beta.2", "1.2.3-beta.4"],
        ["1.3.3", "1.1.4", "1.2.3-beta.1", "1.2.4-beta.2"],
    ),
    (
        "^1",
        ["1.1.2", "1.1.0", "1.2.1", "1.0.1"],
        ["0.9.1", "2.9.0", "0.1.4", "1.0.0-beta1", "0.1.0-alpha", "1.0.1-pre"],
    ),
    ("^1.1", ["1.1.2", "1.1.0", "1.2.1"], ["0.9.1", "2.9.0", "1.0.1", "0.1.4"]),
    (
        "^1.1.2",
        ["1.1.2", "1.1.4", "1.2.1"],
        ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "1.1.2-alpha1", "1.1.3-alpha1", "2.9.0-alpha1"],
    ),
    (
        "^0.1.2",
        ["0.1.2", "0.1.4"],
        ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.2-beta", "0.1.3-alpha", "0.2.0-pre"],
    ),
    (
        "^0.5.1-alpha3",
        ["0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"],
        ["0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0"],
    ),
    ("^0.0.2", ["0.0.2"], ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.4"]),
    ("^0.0", ["0.0.2", "0.0.0"], ["0.9.1", "2.9.0", "1.1.1", "0.1.4"]),
    ("^0", ["0.9.1", "0.0.2", "0.0.0"], ["2.9.0", "1.1.1"]),
    (
        "^1.4.2-beta.5",
        ["1.4.2", "1.4.3", "1.4.2-beta.5", "1.4.2-beta.6", "1.4.2-c"],
        ["0.9.9", "2.0.0", "1.4.2-alpha", "1.4.2-beta.4", "1.4.3-beta.5"],
    ),
    ("*", ["0.9.1", "2.9.0", "0.0.9", "1.0.1", "1.1.1"], ["1.0.0-pre"]),
    ("1.*", ["1.2.0", "1.2.1", "1.1.1", "1.3.0"], ["0.0.9", "1.2.0-pre"]),
    ("1.2.*", ["1.2.0", "1.2.2", "1.2.4"], ["1.9.0", "1.0.9", "2.0.1", "0.1.3", "1.2.2-pre"]),
    ("0.*.*", ["0.5.0"], []),
    ("=2.1.1-really.0", ["2.1.1-really.0"], []),
]


@pytest.mark.parametrize(("requirement", "matching", "refused"), CRATE_CASES)
def test_the_crates_match_lists(requirement: str, matching: list[str], refused: list[str]) -> None:
    parsed = VersionReq.parse(requirement)
    assert [v for v in matching if not parsed.matches(SemVer.parse(v))] == []
    assert [v for v in refused if parsed.matches(SemVer.parse(v))] == []


# The Op table of src/lib.rs, instantiated: (requirement, its documented equivalent).
OP_TABLE: list[tuple[str, str]] = [
    ("=1.2", ">=1.2.0, <1.3.0"),
    ("=1", ">=1.0.0, <2.0.0"),
    (">1.2", ">=1.3.0"),
    (">1", ">=2.0.0"),
    (">=1.2", ">=1.2.0"),
    (">=1", ">=1.0.0"),
    ("<1.2", "<1.2.0"),
    ("<1", "<1.0.0"),
    ("<=1.2", "<1.3.0"),
    ("<=1", "<2.0.0"),
    ("~1.2.3", ">=1.2.3, <1.3.0"),
    ("~1.2", "=1.2"),
    ("~1", "=1"),
    ("^1.2.3", ">=1.2.3, <2.0.0"),
    ("^0.2.3", ">=0.2.3, <0.3.0"),
    ("^0.0.3", "=0.0.3"),
    ("^1.2", "^1.2.0"),
    ("^0.2", "^0.2.0"),
    ("^0.0", "=0.0"),
    ("^1", "=1"),
    ("1.2.*", "=1.2"),
    ("1.*", "=1"),
    ("1.*.*", "=1"),
    ("0.1", "^0.1.0"),
]
GRID = [SemVer(*numbers) for numbers in itertools.product(range(4), range(5), range(5))]


@pytest.mark.parametrize(("requirement", "equivalent"), OP_TABLE)
def test_each_row_of_the_op_table(requirement: str, equivalent: str) -> None:
    left, right = VersionReq.parse(requirement), VersionReq.parse(equivalent)
    differing = [str(v) for v in GRID if left.matches(v) != right.matches(v)]
    assert differing == []
    assert any(left.matches(v) for v in GRID)  # the grid reaches the range at all


@pytest.mark.parametrize(
    ("requirement", "version", "expected"),
    [
        # The seed's failures: each was wrong before this implementation.
        ("=1.2", "1.9.0", False),
        ("=1.2", "1.2.7", True),
        (">1.2", "1.2.5", False),
        (">1.2", "1.3.0", True),
        (">1", "1.5.0", False),
        (">1", "2.0.0", True),
        ("<=1.2", "1.2.9", True),
        ("<=1.2", "1.3.0", False),
        ("<=1", "1.9.9", True),
        ("<=1", "2.0.0", False),
        ("1.*", "1.7.3", True),
        ("*", "4.5.6", True),
        # Components are compared as written, not as padded bounds.
        ("<1.3", "1.3.0-alpha", False),
        ("<1.3.0", "1.3.0-alpha", False),  # pre-release rule: no comparator names 1.3.0-pre
        ("<1.3.0-beta", "1.3.0-alpha", True),
        (">=1.*", "1.0.0", True),
        (">=1.*", "0.9.0", False),
    ],
)
def test_ranges_the_seed_documents(requirement: str, version: str, expected: bool) -> None:
    assert VersionReq.parse(requirement).matches(SemVer.parse(version)) is expected


@pytest.mark.parametrize(
    ("requirement", "canonical"),
    [
        ("1.0.0", "^1.0.0"),
        ("=1.0.0", "=1.0.0"),
        (">= 1.0.0", ">=1.0.0"),
        ("=0.1.0+meta", "=0.1.0"),
        ("> 0.0.9, <= 2.5.3", ">0.0.9, <=2.5.3"),
        ("0.3.0, 0.4.0", "^0.3.0, ^0.4.0"),
        (">=0.5.1-alpha3, <0.6", ">=0.5.1-alpha3, <0.6"),
        ("1.2.3-alpha", "^1.2.3-alpha"),
        ("2.X", "2.*"),
        ("2", "^2"),
        ("2.x.x", "2.*"),
        ("0.*.*", "0.*"),
        ("0.0.*", "0.0.*"),
        ("*", "*"),
        ("x", "*"),
        ("X", "*"),
        ("1.x", "1.*"),
        ("1.X", "1.*"),
        ("1.*.*", "1.*"),
        ("1.2.x", "1.2.*"),
    ],
)
def test_canonical_spelling_is_the_crates(requirement: str, canonical: str) -> None:
    assert VersionReq.parse(requirement).canonical() == canonical


@pytest.mark.parametrize(
    "requirement",
    [
        "",
        "> 0.1.0,",
        "> 0.3.0, ,",
        "1.2.3 - 2.3.4",
        "> 0.0.9 <= 2.5.3",
        "=1.2.3 || =2.3.4",
        "1.1 || =1.2.3",
        "6.* || 8.* || >= 10.*",
        "\0",
        ">= >= 0.0.2",
        ">== 0.0.2",
        "a.0.0",
        "1.0.0-",
        ">=",
        "1.2.3-01",
        "1.2.3+4.",
        ">",
        "1.",
        "1.*.",
        "1.2.3+4\u00ff",
        "*.1",
        "1.*.1",
        ">=1.*.1",
        "*, 0.20.0-any",
        "0.20.0-any, *",
        "0.20.0-any, *, 1.0",
        "*.*",
        "@1.0.0",
        ">a.b",
        "01.2.3",
        ", ".join(f">{n}" for n in range(1, 34)),
    ],
)
def test_what_the_crate_refuses_is_refused(requirement: str) -> None:
    with pytest.raises(ValueError, match="not a valid version requirement"):
        VersionReq.parse(requirement)


@pytest.mark.parametrize("op", ["=", ">", ">=", "<", "<=", "~", "^"])
def test_leading_digits_in_prerelease_and_build_are_accepted(op: str) -> None:
    for version in ("1.2.3-1a", "1.2.3+1a", "1.2.3-01a", "1.2.3+01", "1.2.3-1+1"):
        VersionReq.parse(f"{op} {version}")
    VersionReq.parse(f"{op} 1.2.3-1-1+1-1-1")
    VersionReq.parse(f"{op} 1.2.3-1a-1a+1a-1a-1a")


def test_thirty_two_comparators_is_the_limit() -> None:
    VersionReq.parse(", ".join(f">{n}" for n in range(1, 33)))


_COMPONENT = st.integers(min_value=0, max_value=3)
_PRE = st.sampled_from([(), ("alpha",), ("alpha", "1"), ("beta",), ("rc", "1"), ("0",)])


@st.composite
def _requirement(draw: st.DrawFn) -> str:
    op = draw(st.sampled_from(["", "=", ">", ">=", "<", "<=", "~", "^"]))
    numbers = [draw(_COMPONENT) for _ in range(draw(st.integers(1, 3)))]
    text = ".".join(map(str, numbers))
    if len(numbers) == 3:
        pre = draw(_PRE)
        text += "-" + ".".join(pre) if pre else ""
    elif not op and draw(st.booleans()):
        text += ".*"
    return op + text


@pytest.mark.soak
@settings(max_examples=soak_examples(200, 3_000), deadline=None)
@given(
    requirements=st.lists(_requirement(), min_size=1, max_size=3),
    version=st.tuples(_COMPONENT, _COMPONENT, _COMPONENT, _PRE),
)
def test_the_canonical_spelling_means_the_same(
    requirements: list[str], version: tuple[int, int, int, tuple[str, ...]]
) -> None:
    """Printing and re-parsing a requirement never changes what it matches, and a
    pre-release only ever matches through a comparator naming its exact version."""
    text = ", ".join(requirements)
    parsed = VersionReq.parse(text)
    candidate = SemVer(*version)
    reparsed = VersionReq.parse(parsed.canonical())
    assert reparsed.matches(candidate) == parsed.matches(candidate)
    if candidate.prerelease and parsed.matches(candidate):
        assert any(c.allows_prerelease_of(candidate) for c in parsed.comparators)
