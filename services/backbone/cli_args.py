"""Argument types and output shared by the ``backbone`` subcommands."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

from backbone.domain.agencies import AgencyId, InvalidAgencyId


def agency_id(text: str) -> str:
    """An agency id argument, normalised, or a usage error naming the form."""
    try:
        return str(AgencyId.parse(text))
    except InvalidAgencyId as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def instant(text: str) -> datetime:
    """An RFC 3339 date-time argument that carries its UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not an RFC 3339 date-time") from None
    if value.utcoffset() is None:
        raise argparse.ArgumentTypeError("the date-time needs a UTC offset")
    return value


def print_json(document: dict[str, Any]) -> None:
    print(json.dumps(document, indent=2))
