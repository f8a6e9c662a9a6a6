"""Sign-in throttling, by django-axes: a user name is locked at an address after repeated failures.

- ``FAILURE_LIMIT`` failed sign-ins of one user name from one address lock that pair (axes'
  combined ``username`` and ``ip_address`` parameter): even the right password is then refused
  with the lock message (``locked_out``, 429) until ``COOL_OFF`` has passed since the pair's last
  attempt; each attempt during the lock restarts the wait. The same user from another address,
  and other users from this address, still sign in: on loopback every browser is 127.0.0.1, so
  an address lock alone would lock out the whole staff after one person's typing, and a user
  name lock alone would let anyone lock out a supervisor from anywhere.
- A successful sign-in clears the pair's failures. ``unlock`` clears a user name's failures
  from every address (``backbone console unlock``, and ``adduser`` when it sets a password).
- The address is the connection's (``REMOTE_ADDR``): no forwarded header is trusted.
- The failures live in the console's database (axes' ``AccessAttempt``; the password is never
  stored, the user name and address are masked in its log lines); successful sign-ins are not
  logged. ``count`` adds every refused sign-in and every lock begun to ``metrics.SIGN_INS``:
  counts only, no user name or address.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from backbone.console.metrics import SIGN_INS

FAILURE_LIMIT = 5
COOL_OFF = timedelta(minutes=15)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before any password check
    "django.contrib.auth.backends.ModelBackend",
]
MIDDLEWARE = "axes.middleware.AxesMiddleware"  # last: turns a locked sign-in into the lock page

SETTINGS: dict[str, Any] = {
    "AXES_FAILURE_LIMIT": FAILURE_LIMIT,
    "AXES_COOLOFF_TIME": COOL_OFF,
    "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
    "AXES_RESET_ON_SUCCESS": True,
    "AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT": True,
    "AXES_CLIENT_IP_CALLABLE": "backbone.console.throttle.client_address",
    "AXES_LOCKOUT_CALLABLE": "backbone.console.throttle.locked_out",
    "AXES_SENSITIVE_PARAMETERS": ["username", "ip_address"],
    "AXES_DISABLE_ACCESS_LOG": True,
    "AXES_ENABLE_ADMIN": False,
    "AXES_VERBOSE": False,
}


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page with the lock message, for a sign-in refused by the lock."""
    context = {
        "locked": True,
        "cool_off_minutes": int(COOL_OFF.total_seconds() // 60),
        "next": request.POST.get("next", ""),
    }
    return render(request, "console/login.html", context, status=429)


def count() -> None:
    """Count refused sign-ins and locks begun in ``SIGN_INS`` (``ConsoleConfig.ready``)."""
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_login_failed

    user_login_failed.connect(_failed, dispatch_uid="backbone.console.throttle.failed")
    user_locked_out.connect(_locked, dispatch_uid="backbone.console.throttle.locked")


def _failed(sender: Any, **kwargs: Any) -> None:
    SIGN_INS.failed()


def _locked(sender: Any, request: HttpRequest, username: str | None, **kwargs: Any) -> None:
    """A lock begins at the failure that reaches the limit; later attempts only extend it."""
    from axes.handlers.proxy import AxesProxyHandler
    from axes.helpers import get_credentials

    if AxesProxyHandler.get_failures(request, get_credentials(username)) == FAILURE_LIMIT:
        SIGN_INS.locked()


def locked_now() -> int:
    """User name and address pairs locked at this moment."""
    from axes.models import AccessAttempt

    recent = AccessAttempt.objects.filter(attempt_time__gte=timezone.now() - COOL_OFF)
    pairs = recent.values("username", "ip_address").annotate(failures=Sum("failures_since_start"))
    return int(pairs.filter(failures__gte=FAILURE_LIMIT).count())


def unlock(username: str) -> int:
    """Clear ``username``'s failed sign-ins from every address; how many records were cleared."""
    from axes.handlers.proxy import AxesProxyHandler

    cleared: int = AxesProxyHandler.reset_attempts(username=username)
    return cleared
