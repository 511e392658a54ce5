"""The dispatcher's selection order, decided deterministically (seeded rng, fixed clock)."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from greentic_iac.local.cookie import CookieClaims, CookieSigner
from greentic_iac.local.dispatcher import (
    DeploymentSplit,
    Dispatcher,
    RequestKeys,
    RevisionRoute,
    Source,
    weighted_choice,
)
from greentic_iac.local.pins import SessionPins

NOW = 1_700_000_000.0
KEY = b"k" * 32


def split(*weights: tuple[str, int], generation: int = 3, ready: bool = True) -> DeploymentSplit:
    return DeploymentSplit(
        environment_id="local",
        tenant="acme",
        deployment_id="D1",
        generation=generation,
        revisions=tuple(RevisionRoute(rid, w, ready) for rid, w in weights),
    )


def dispatcher(trust: bool = False, seed: int = 7) -> Dispatcher:
    return Dispatcher(CookieSigner(KEY), rng=Random(seed), trust_override=trust)


def cookie_for(
    revision: str,
    generation: int = 3,
    deployment: str = "D1",
    expires: float = NOW + 600,
    key: bytes = KEY,
) -> str:
    claims = CookieClaims("local", "acme", deployment, revision, generation, int(expires))
    return CookieSigner(key).issue(claims)


def test_weighted_choice_follows_basis_points() -> None:
    routes = (RevisionRoute("a", 9900, True), RevisionRoute("b", 100, True))
    rng = Random(1)
    counts = Counter(weighted_choice(routes, rng) for _ in range(100_000))
    assert abs(counts["a"] - 99_000) < 600 and abs(counts["b"] - 1_000) < 200


def test_weighted_choice_never_picks_zero_weight_or_excluded() -> None:
    routes = (
        RevisionRoute("a", 0, True),
        RevisionRoute("b", 5000, True),
        RevisionRoute("c", 5000, True),
    )
    rng = Random(2)
    picks = {weighted_choice(routes, rng, frozenset({"c"})) for _ in range(200)}
    assert picks == {"b"}
    assert weighted_choice(routes, rng, frozenset({"b", "c"})) is None


def test_no_keys_is_weighted_and_sets_a_cookie_for_the_choice() -> None:
    d = dispatcher()
    selection = d.select(split(("a", 5000), ("b", 5000)), RequestKeys(), NOW)
    assert selection is not None and selection.source is Source.WEIGHTED
    assert not selection.pinned
    claims = d.signer.verify(selection.cookie or "", NOW)
    assert claims == CookieClaims("local", "acme", "D1", selection.revision_id, 3, int(NOW) + 3600)


def test_override_needs_trust_a_ready_revision_of_this_deployment() -> None:
    s = DeploymentSplit(
        "local",
        "acme",
        "D1",
        3,
        (
            RevisionRoute("a", 10000, True),
            RevisionRoute("b", 0, True),
            RevisionRoute("w", 0, False),
        ),
    )
    trusted = dispatcher(trust=True)
    chosen = trusted.select(s, RequestKeys(override="b"), NOW)
    assert chosen is not None and (chosen.revision_id, chosen.source) == ("b", Source.OVERRIDE)
    assert chosen.pinned and chosen.cookie is None
    for ignored in ("w", "other-deployments-rev", ""):
        chosen = trusted.select(s, RequestKeys(override=ignored), NOW)
        assert chosen is not None and (chosen.revision_id, chosen.source) == ("a", Source.WEIGHTED)
    untrusted = dispatcher(trust=False)
    chosen = untrusted.select(s, RequestKeys(override="b"), NOW)
    assert chosen is not None and chosen.revision_id == "a"


def test_valid_cookie_pins_even_the_minority_revision() -> None:
    d = dispatcher()
    s = split(("a", 9900), ("b", 100))
    for _ in range(50):
        fresh = cookie_for("b", expires=NOW + 3500)
        chosen = d.select(s, RequestKeys(cookies=(fresh,)), NOW)
        assert chosen is not None and (chosen.revision_id, chosen.source) == ("b", Source.COOKIE)
        assert chosen.cookie is None  # same generation, far from expiry: nothing to refresh
    # Past half its lifetime the cookie is re-issued (a sliding expiry), still for "b".
    chosen = d.select(s, RequestKeys(cookies=(cookie_for("b", expires=NOW + 600),)), NOW)
    assert chosen is not None and chosen.revision_id == "b"
    claims = d.signer.verify(chosen.cookie or "", NOW)
    assert claims is not None and claims.expires_at == int(NOW) + 3600


def test_cookie_from_an_older_generation_is_kept_and_refreshed() -> None:
    chosen = dispatcher().select(
        split(("a", 5000), ("b", 5000)), RequestKeys(cookies=(cookie_for("b", generation=1),)), NOW
    )
    assert chosen is not None and chosen.revision_id == "b" and chosen.source is Source.COOKIE
    assert chosen.cookie is not None


@pytest.mark.parametrize(
    "value",
    [
        cookie_for("b", generation=4),  # a generation this router never issued
        cookie_for("b", deployment="D2"),  # another deployment's cookie
        cookie_for("b", expires=NOW - 1),  # expired
        cookie_for("b", key=b"x" * 32),  # signed with another key
        cookie_for("b")[:-3] + "AAA",  # tampered signature
        "garbage",
        "",
    ],
)
def test_invalid_cookies_are_ignored(value: str) -> None:
    d = dispatcher()
    chosen = d.select(split(("a", 10000), ("b", 0)), RequestKeys(cookies=(value,)), NOW)
    assert chosen is not None and (chosen.revision_id, chosen.source) == ("a", Source.WEIGHTED)


def test_cookie_to_a_revision_that_lost_its_weight_is_rechosen() -> None:
    d = dispatcher()
    chosen = d.select(
        split(("a", 0), ("b", 10000), generation=4), RequestKeys(cookies=(cookie_for("a"),)), NOW
    )
    assert chosen is not None and (chosen.revision_id, chosen.source) == ("b", Source.WEIGHTED)
    assert d.signer.verify(chosen.cookie or "", NOW).revision_id == "b"  # type: ignore[union-attr]


def test_the_matching_cookie_among_several_wins() -> None:
    keys = RequestKeys(cookies=(cookie_for("a", deployment="D2"), cookie_for("b")))
    chosen = dispatcher().select(split(("a", 5000), ("b", 5000)), keys, NOW)
    assert chosen is not None and (chosen.revision_id, chosen.source) == ("b", Source.COOKIE)


def test_session_pin_keeps_a_session_and_is_rechosen_when_weight_goes() -> None:
    d = dispatcher(seed=3)
    s = split(("a", 5000), ("b", 5000))
    first = d.select(s, RequestKeys(session_key="s1"), NOW)
    assert first is not None and first.source is Source.WEIGHTED
    for step in range(30):
        again = d.select(s, RequestKeys(session_key="s1"), NOW + step)
        assert again is not None
        assert (again.revision_id, again.source) == (first.revision_id, Source.PIN)
    other = "b" if first.revision_id == "a" else "a"
    moved = split((first.revision_id, 0), (other, 10000), generation=4)
    rechosen = d.select(moved, RequestKeys(session_key="s1"), NOW + 60)
    assert rechosen is not None and (rechosen.revision_id, rechosen.source) == (
        other,
        Source.WEIGHTED,
    )
    # The cookie beats the pin: order is header, cookie, pin, weighted.
    keys = RequestKeys(session_key="s1", cookies=(cookie_for(first.revision_id),))
    chosen = d.select(s, keys, NOW + 61)
    assert chosen is not None and chosen.source is Source.COOKIE


def test_excluded_pinned_revision_falls_through() -> None:
    d = dispatcher()
    chosen = d.select(
        split(("a", 5000), ("b", 5000)),
        RequestKeys(cookies=(cookie_for("b"),)),
        NOW,
        exclude=frozenset({"b"}),
    )
    assert chosen is not None and chosen.revision_id == "a"
    assert d.select(split(("a", 10000)), RequestKeys(), NOW, frozenset({"a"})) is None


def test_seeded_dispatcher_draws_per_deployment() -> None:
    """With a seed, one deployment's choices do not depend on other deployments' traffic."""
    s1, s2 = (
        split(("a", 5000), ("b", 5000)),
        DeploymentSplit(
            "local",
            "acme",
            "D2",
            1,
            (RevisionRoute("x", 5000, True), RevisionRoute("y", 5000, True)),
        ),
    )

    def run(interleave: bool) -> list[str]:
        d = Dispatcher(CookieSigner(KEY), seed=11)
        picks = []
        for _ in range(100):
            if interleave:
                d.select(s2, RequestKeys(), NOW)
            chosen = d.select(s1, RequestKeys(), NOW)
            assert chosen is not None
            picks.append(chosen.revision_id)
        return picks

    assert run(False) == run(True)


def test_pins_are_bounded_sweep_expired_and_evict_soonest() -> None:
    pins = SessionPins(max_entries=3, ttl_seconds=100)
    pins.put("D", "s1", "a", 1, now=0)
    pins.put("D", "s2", "a", 1, now=10)
    pins.put("D", "s3", "a", 1, now=20)
    pins.put("D", "s4", "a", 1, now=30)  # full, nothing expired: s1 expires soonest
    assert len(pins) == 3 and pins.get("D", "s1", 30) is None
    assert pins.get("D", "s2", 30) is not None
    pins.put("D", "s2", "b", 2, now=40)  # refresh: s2 now expires last
    pins.put("D", "s5", "a", 1, now=50)  # evicts s3, not the refreshed s2
    assert pins.get("D", "s3", 50) is None and pins.get("D", "s2", 50).revision_id == "b"  # type: ignore[union-attr]
    assert pins.sweep(now=10_000) == 3 and len(pins) == 0


def test_pins_never_exceed_the_bound() -> None:
    pins = SessionPins(max_entries=16_384, ttl_seconds=60, max_per_source=16_384)
    for i in range(20_000):
        pins.put("D", f"s{i}", "a", 1, now=i * 0.001)
    assert len(pins) == 16_384
    assert pins.get("D", "s0", 20.0) is None and pins.get("D", "s19999", 20.0) is not None


def test_a_source_at_its_bound_evicts_only_its_own_pins_fresh_first() -> None:
    pins = SessionPins(max_entries=100, ttl_seconds=100, max_per_source=3)
    pins.put("D", "alice", "a", 1, now=0, source="127.0.0.1")
    pins.put("D", "f1", "b", 1, now=1, source="10.0.0.9")
    pins.put("D", "f2", "b", 1, now=2, source="10.0.0.9")
    pins.put("D", "f3", "b", 1, now=3, source="10.0.0.9")
    assert pins.get("D", "f1", 4) is not None  # f1 came back: a real session
    for i in range(1000):
        pins.put("D", f"flood{i}", "b", 1, now=5, source="10.0.0.9")
    assert pins.count_for("10.0.0.9") == 3
    assert pins.get("D", "alice", 6).revision_id == "a"  # type: ignore[union-attr]
    assert pins.get("D", "f1", 6) is not None  # the reused one outlived the fresh ones
    assert pins.get("D", "f2", 6) is None and pins.get("D", "flood999", 6) is not None


def test_when_full_never_reused_pins_go_before_reused_ones() -> None:
    pins = SessionPins(max_entries=4, ttl_seconds=100, max_per_source=4)
    for name in ("s1", "s2"):
        pins.put("D", name, "a", 1, now=0, source="client")
        assert pins.get("D", name, 1) is not None
    for i in range(50):  # many sources, one key each: the per-source bound does not help
        pins.put("D", f"flood{i}", "b", 1, now=2, source=f"10.0.{i}.1")
    assert len(pins) == 4
    assert pins.get("D", "s1", 3) is not None and pins.get("D", "s2", 3) is not None
    # Only once every pin was reused does the soonest-expiring one go.
    pins.get("D", "flood48", 3)
    pins.get("D", "flood49", 3)
    pins.put("D", "late", "a", 1, now=4, source="x")
    assert len(pins) == 4 and pins.get("D", "s1", 5) is None


def test_a_re_chosen_pin_keeps_its_standing() -> None:
    pins = SessionPins(max_entries=2, ttl_seconds=100)
    pins.put("D", "real", "a", 1, now=0, source="c")
    pins.get("D", "real", 1)
    pins.put("D", "real", "b", 2, now=2, source="c")  # its revision lost weight
    pins.put("D", "x", "a", 1, now=3, source="d")
    pins.put("D", "y", "a", 1, now=4, source="e")
    assert pins.get("D", "real", 5).revision_id == "b"  # type: ignore[union-attr]
