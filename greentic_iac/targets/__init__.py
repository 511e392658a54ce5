"""Target compilers: pure functions from an environment state to a Plan."""
