"""CSV exports of what a page shows (the board, the children list, compliance).

An export carries the same rows the viewer may see on the page, as codes (agency ids, rule ids,
statuses, ISO times), never labels, so that a spreadsheet or another system reads them the same
in every language. A cell that a spreadsheet would take for a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'``; the backbone's codes never
start so, but an export must not become an attack on the one who opens it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import HttpResponse

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def csv_response(
    name: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> HttpResponse:
    """``name``.csv as an attachment (UTF-8 with a BOM, which spreadsheets need to read
    Cyrillic), never stored by a browser or proxy."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def refused(reason: str, status: int) -> HttpResponse:
    """What an export answers instead of a file: the reason as plain text."""
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")
