"""Health sources: is a revision serving healthily, and how many replicas are ready."""
