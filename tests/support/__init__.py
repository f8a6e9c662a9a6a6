"""Test support shared by the suites (the broker harness)."""
