"""Fixtures for the bundle reliability tests (builders live in ``archives.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture
def links_on(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this Python has the 2025 tarfile fixes, so link rules themselves are tested."""
    import greentic_iac.bundles.unpack as unpack_module
    import greentic_iac.bundles.verify as verify_module

    monkeypatch.setattr(verify_module, "links_allowed", lambda: True)
    monkeypatch.setattr(unpack_module, "links_allowed", lambda: True)


@pytest.fixture
def links_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend this Python lacks the 2025 tarfile fixes."""
    import greentic_iac.bundles.unpack as unpack_module
    import greentic_iac.bundles.verify as verify_module

    monkeypatch.setattr(verify_module, "links_allowed", lambda: False)
    monkeypatch.setattr(unpack_module, "links_allowed", lambda: False)
