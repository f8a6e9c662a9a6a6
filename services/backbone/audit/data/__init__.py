"""Packaged audit data: the national SLA rules and the calendar corrections (JSON)."""
