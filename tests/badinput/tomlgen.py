"""A small TOML writer for the bad-input matrix: enough for ``environments.toml`` documents.

Tables become ``[a.b]`` headers, lists of tables ``[[a.b]]``; scalars are strings, booleans,
integers, floats and flat lists of those. The output round-trips through ``tomllib``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else json.dumps(key)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(_scalar(v) for v in value)
    raise TypeError("cannot write %r as a TOML value" % (value,))


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _table(path: list[str], table: Mapping[str, Any], out: list[str], *, array: bool = False) -> None:
    scalars = [(k, v) for k, v in table.items() if not isinstance(v, Mapping) and not _is_table_list(v)]
    nested = [(k, v) for k, v in table.items() if isinstance(v, Mapping) or _is_table_list(v)]
    if path:
        header = ".".join(_key(p) for p in path)
        out.append(("[[%s]]" if array else "[%s]") % header)
    out.extend("%s = %s" % (_key(k), _scalar(v)) for k, v in scalars)
    if path or scalars:
        out.append("")
    for key, value in nested:
        if isinstance(value, Mapping):
            _table([*path, key], value, out)
        else:
            for item in value:
                _table([*path, key], item, out, array=True)


def dumps(document: Mapping[str, Any]) -> str:
    out: list[str] = []
    _table([], document, out)
    return "\n".join(out) + "\n"
