"""Previews: what applying the environment's plan now would change (issue #8).

The offline diff of two plans (resources, properties, replacements), the traffic diff,
the targets' limit checks and the traffic policy gates, rendered as text, JSON, markdown
or HTML. Pure data in, a report out: nothing here talks to a cloud.
"""
