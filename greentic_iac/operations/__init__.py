"""The library API behind the CLI: pure change functions over ``EnvironmentState``.

Each function takes the current state and a validated payload and returns the new state
plus the JSON result the CLI prints. They do no I/O, so the store can run them inside its
transaction and a Python user can call them directly.
"""
