"""What every answer of the backbone's aiohttp servers carries: the audit API (on faust's web
server) and the field intake.

* ``X-Content-Type-Options: nosniff`` on every response that has been routed, errors included
  (a view's 400, 404 or 503, aiohttp's own 404 or 405, a 500 from an uncaught exception), so
  that a browser never reads an answer as another type than the one it is sent as.
* An HTTP error that aiohttp raises itself (an unknown path, a method a path does not take) is
  answered as JSON, ``{key: "not_found"}``, with its status and headers (``Allow``), like the
  views' own errors, and so is an uncaught exception (500, logged as aiohttp logs it, without
  the path, which can name a child): every answer of these APIs is ``application/json``.

The Prometheus exporters (``runtime.metrics``) and the console (Django's
``SecurityMiddleware``) set the header their own way.
"""

from __future__ import annotations

from aiohttp import hdrs, web
from aiohttp.log import server_logger
from aiohttp.typedefs import Handler

NOSNIFF = "nosniff"


def harden(app: web.Application, error_key: str) -> None:
    """Make every answer of ``app`` carry ``nosniff``, and aiohttp's own HTTP errors JSON bodies
    ``{error_key: reason}``. Call before the application starts (it is frozen then)."""

    @web.middleware
    async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException as error:
            if error.status < 400:
                raise
            headers = {
                name: value
                for name, value in error.headers.items()
                if name not in (hdrs.CONTENT_TYPE, hdrs.CONTENT_LENGTH)
            }
            return web.json_response(
                {error_key: reason_code(error.reason)}, status=error.status, headers=headers
            )
        except Exception:
            server_logger.exception("Error handling request from %s", request.remote)
            return web.json_response({error_key: "internal_server_error"}, status=500)

    app.middlewares.append(json_errors)
    app.on_response_prepare.append(_nosniff)


def reason_code(reason: str) -> str:
    """``"Method Not Allowed"`` -> ``"method_not_allowed"``."""
    return "_".join(reason.lower().split())


async def _nosniff(request: web.Request, response: web.StreamResponse) -> None:
    response.headers[hdrs.X_CONTENT_TYPE_OPTIONS] = NOSNIFF
