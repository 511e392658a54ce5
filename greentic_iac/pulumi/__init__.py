"""The Pulumi layer: the generic emitter, the exporter, stack config and the conformance kit.

Nothing here imports ``pulumi`` at module import time (read-only CLI verbs must stay fast);
each function imports the SDK when it runs. This package depends on ``plan`` and ``spec``
only; the program that ties store, env-packs and targets together is ``greentic_iac.program``.
"""
