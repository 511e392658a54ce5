"""Route matching (host, longest prefix), the cookie codec and key file, and router helpers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from greentic_iac.errors import InvalidInputError
from greentic_iac.local.cookie import CookieClaims, CookieSigner, load_or_create_key
from greentic_iac.local.router import cookie_values
from greentic_iac.local.routes import RouteTable, normalise_host
from greentic_iac.spec import RouteBinding, RuntimeConfig, RuntimeDeployment, RuntimeRevision


def _dep(n: int, host: str, prefix: str) -> RuntimeDeployment:
    rid = f"01J0000000000000000000R{n:03d}"
    return RuntimeDeployment(
        deployment_id=f"01J0000000000000000000D{n:03d}",
        bundle_id="b",
        tenant="local-dev",
        route_binding=RouteBinding(host=host, path_prefix=prefix),
        split_generation=1,
        revisions=[
            RuntimeRevision(
                revision_id=rid,
                bundle_digest="sha256:ab",
                sequence=1,
                lifecycle="ready",
                weight_bps=10000,
            )
        ],
    )


TABLE = RouteTable.from_config(
    RuntimeConfig(
        environment_id="local",
        generation=5,
        deployments=[
            _dep(1, "app.local", "/"),
            _dep(2, "app.local", "/api"),
            _dep(3, "app.local", "/api/v2/"),
            _dep(4, "*.example.com", "/"),
            _dep(5, "shop.example.com", "/cart"),
        ],
    )
)


@pytest.mark.parametrize(
    ("host", "path", "expected"),
    [
        ("app.local", "/", 1),
        ("app.local", "/apix", 1),  # prefixes match whole segments
        ("app.local", "/api", 2),
        ("app.local", "/api/items", 2),
        ("app.local", "/api/v2", 3),
        ("app.local", "/api/v2/x", 3),
        ("a.example.com", "/cart", 4),
        ("shop.example.com", "/cart/1", 5),
        ("shop.example.com", "/cart", 5),  # the exact host wins over the wildcard
        ("shop.example.com", "/", 4),  # ...and the wildcard serves what it does not match
        ("example.com", "/", None),  # a wildcard needs at least one more label
        ("nope.local", "/", None),
    ],
)
def test_route_matching(host: str, path: str, expected: int | None) -> None:
    route = TABLE.match(host, path)
    got = None if route is None else int(route.deployment_id[-3:])
    assert got == expected
    assert TABLE.generation == 5


@pytest.mark.parametrize(
    ("header", "host"),
    [("App.Local:8787", "app.local"), ("app.local.", "app.local"), ("[::1]:80", "[::1]"), ("", "")],
)
def test_normalise_host(header: str, host: str) -> None:
    assert normalise_host(header) == host


def test_cookie_round_trip_and_tamper() -> None:
    signer = CookieSigner(b"s" * 32)
    claims = CookieClaims("local", "acme", "D", "R", 4, 2_000)
    value = signer.issue(claims)
    assert signer.verify(value, 1_999) == claims
    assert signer.verify(value, 2_000) is None  # expired
    payload, mac = value.split(".")
    assert signer.verify(f"{payload}x.{mac}", 0) is None
    assert CookieSigner(b"t" * 32).verify(value, 0) is None
    # The value is cookie-safe without quoting.
    assert all(c.isalnum() or c in "-_." for c in value)


def test_cookie_values_reads_every_greentic_cookie() -> None:
    assert cookie_values(["a=1; greentic-rev=x.y", 'greentic-rev="z.w"; b=2']) == ("x.y", "z.w")
    assert cookie_values(["greentic-revision=q", "greentic-rev="]) == ()


def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "runtime" / "cookie.key"
    key = load_or_create_key(path)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    os.chmod(path, 0o644)
    with pytest.raises(InvalidInputError, match=r"cookie\.key.*chmod 600"):
        load_or_create_key(path)
