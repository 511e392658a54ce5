"""CI integration: the pull-request preview workflows ``ci init`` renders (issue #8)."""
