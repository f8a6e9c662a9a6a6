"""Thin views: each asks ``access`` and the services, then renders a template."""
