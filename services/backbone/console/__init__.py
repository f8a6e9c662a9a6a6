"""The supervisor and operations console: breaches, pathways, compliance and health in a browser.

A Django app served by waitress on 127.0.0.1 (``backbone console serve``). It reads the live
audit's HTTP API (``audit_api``, the one module that knows it) and, for operations, the quarantine
topic; it holds no keys and never sees a payload. Pure modules compute what pages show
(``board``, ``timeline``, ``compliance``, ``funnel``, ``charts``), ``access`` says who may see
what, ``views`` are thin, and ``framework`` is the composition root (docs/console.md).
"""
