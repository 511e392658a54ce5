"""Previews: what applying the environment's plan now would change (issue #8).

The offline diff of two plans (resources, properties, replacements), the traffic diff,
the targets' limit checks and the traffic policy gates, rendered as text, JSON, markdown
or HTML. Pure data in, a report out: nothing here talks to a cloud.
"""

from greentic_iac.preview.document import PREVIEW_SCHEMA, Baseline, build_preview, first_refusal
from greentic_iac.preview.render import FORMATS, render

__all__ = ["FORMATS", "PREVIEW_SCHEMA", "Baseline", "build_preview", "first_refusal", "render"]
