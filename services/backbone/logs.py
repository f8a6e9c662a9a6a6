"""Structured logging, configured once per process: JSON lines on stderr.

Every line carries ``service`` and ``agency``, also those of libraries (kafka-python, aiokafka,
faust), whose standard-library records are rendered by the same JSON processor chain. Log
``event_id``, ``referral_id`` and agency ids; never payloads, names or identifiers of children
(they exist in clear only inside a recipient's process, and only in memory).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]
# Library loggers that are chatty at INFO; their warnings and errors still come through (axes:
# the console's failed sign-ins and lockouts, user name and address masked).
_QUIET = ("kafka", "aiokafka", "faust", "mode", "axes")


class _DropScramLoopbackWarning(logging.Filter):
    """kafka-python warns on every SASL_PLAINTEXT login; on loopback that is the design."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Exchanging credentials in the clear" not in record.getMessage()


def _process_identity(service: str, agency: str | None) -> Any:
    """Stamp every line, also those of library threads, with the process's service and agency."""

    def add(logger: Any, method: str, event: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("service", service)
        event.setdefault("agency", agency)
        return event

    return add


def configure(service: str, agency: str | None = None, level: str = "INFO") -> Any:
    """Configure logging for this process and return a logger bound to service and agency."""
    chain = [*_SHARED, _process_identity(service, agency)]
    structlog.configure(
        processors=[*chain, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: a process may configure again (the CLI, then the service it starts).
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=chain,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )
    )
    handler.addFilter(_DropScramLoopbackWarning())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    # kafka-python 3 warns whenever one of its network tasks ran over 0.1 s ("It is blocking the
    # event loop"): on a loaded host, hundreds of lines that say nothing about the backbone.
    logging.getLogger("kafka.net.selector").setLevel(logging.ERROR)
    return structlog.get_logger()


def get_logger() -> Any:
    return structlog.get_logger()
