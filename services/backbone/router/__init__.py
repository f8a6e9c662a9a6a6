"""The router: every envelope on the event log, unchanged, to the inbox of each of its readers."""
