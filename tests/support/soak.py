"""How many hypothesis examples a lifecycle walk or a fuzz test runs.

``make test`` runs the bounded default; ``make soak`` sets ``GREENTIC_SOAK=1`` and runs the
long count (tests marked ``soak``), so the suite stays fast while the soak digs deeper.
"""

from __future__ import annotations

import os


def soak_examples(default: int, soak: int) -> int:
    return soak if os.environ.get("GREENTIC_SOAK") == "1" else default
