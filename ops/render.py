"""Plain-text tables and JSON-safe values for the commands' output.

Example::

    from ops.render import format_table, jsonable
    print(format_table(["NAME", "COUNT"], [["web", 2]]))
    json.dumps(jsonable({"at": datetime.now(UTC)}))
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO-8601 strings, ready for ``json.dumps``."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="seconds") if value.tzinfo else value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def short_time(value: Any) -> str:
    if isinstance(value, dt.datetime):
        when: dt.datetime = value.astimezone(dt.UTC) if value.tzinfo else value
        return when.strftime("%Y-%m-%d %H:%M:%SZ")
    return "" if value is None else str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Left-aligned columns separated by two spaces; the last column is not padded."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        padded = [cell.ljust(widths[i]) if i < len(row) - 1 else cell for i, cell in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def short_id(arn: str | None) -> str:
    return (arn or "").rsplit("/", 1)[-1]
