"""The units of work the app runs, and the queue message that carries one (no Flask, no boto3).

Smallest example::

    from app.tasks import decode_message, encode_message, run_task
    body = encode_message("sum", {"numbers": [1, 2.5]}, request_id="req-000001")
    message = decode_message(body)
    run_task(message.kind, message.payload)  # {"sum": 3.5, "count": 2}

A message body is one JSON object::

    {"kind": "sum", "request_id": "4f0c...", "payload": {"numbers": [1, 2.5]}}

``kind`` names an entry of `TASKS`; ``request_id`` is the id of the HTTP request that queued
the work, so the worker's log lines join the web's (None when queued outside a request);
``payload`` is the task's input. ``POST /api/sum`` (at once) and ``POST /api/jobs`` (through the
queue) check the input with the same rules (`check_sum`), and the worker checks it again: a
message sent to the queue by other means is held to them too.

Every rule raises `InvalidInput` (or `MalformedMessage` for the envelope) with a message that
names the field, the value and what is allowed.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Most numbers one sum may add.
MAX_SUM_ITEMS = 10_000

#: Largest message body sent to the queue: the SQS limit every region and emulator accepts.
MAX_MESSAGE_BYTES = 256 * 1024


class InvalidInput(ValueError):
    """A task's input breaks one of its rules; the message names the field, the value and the rule."""


class InvalidJson(ValueError):
    """Text that is not strict JSON; the message says why and where."""


class MalformedMessage(ValueError):
    """A queue message that is not a task message this app can run."""


def _refuse_constant(name: str) -> Any:
    raise InvalidJson(f"{name} is not a JSON value")


def parse_json(raw: str | bytes) -> Any:
    """Parse strict JSON: NaN and Infinity (which Python's json accepts) are refused.

    Raises `InvalidJson` with the reason, e.g. ``Expecting value at line 1 column 1``.
    """
    try:
        return json.loads(raw, parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise InvalidJson("it is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidJson(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except InvalidJson:
        raise
    except ValueError:  # an integer longer than the interpreter converts (sys.get_int_max_str_digits())
        raise InvalidJson(f"a number has more than {sys.get_int_max_str_digits()} digits") from None


def json_type(value: Any) -> str:
    """The name used in messages for a parsed JSON value's type: ``list``, ``str``, ``null``..."""
    return "null" if value is None else type(value).__name__


def check_sum(body: Mapping[str, Any]) -> list[int | float]:
    """The ``numbers`` of a sum request: a list of at most MAX_SUM_ITEMS JSON numbers."""
    if "numbers" not in body:
        raise InvalidInput("field 'numbers' is missing; expected a list of numbers")
    numbers = body["numbers"]
    if not isinstance(numbers, list):
        raise InvalidInput(f"field 'numbers' is a JSON {json_type(numbers)}; expected a list of numbers")
    if len(numbers) > MAX_SUM_ITEMS:
        raise InvalidInput(f"field 'numbers' has {len(numbers)} items; allowed: at most {MAX_SUM_ITEMS}")
    for i, n in enumerate(numbers):
        if isinstance(n, bool) or not isinstance(n, (int, float)):
            raise InvalidInput(f"field 'numbers[{i}]'={n!r} is not a number")
    return numbers


def run_sum(payload: Mapping[str, Any]) -> dict[str, Any]:
    """``{"numbers": [1, 2.5]}`` -> ``{"sum": 3.5, "count": 2}``; the sum must fit a 64-bit float."""
    numbers = check_sum(payload)
    try:
        total = sum(numbers)
        finite = math.isfinite(total)  # an int beyond the float range raises OverflowError here
    except OverflowError:
        finite = False
    if not finite:
        raise InvalidInput(
            f"the sum of field 'numbers' is out of range; allowed: a sum within ±{sys.float_info.max:.6g}"
        )
    return {"sum": total, "count": len(numbers)}


#: Task kind -> the function that runs it (payload -> result, raising InvalidInput on bad input).
TASKS: Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {"sum": run_sum}


@dataclass(frozen=True)
class TaskMessage:
    """A decoded queue message: which task, for which request, with what input."""

    kind: str
    request_id: str | None
    payload: dict[str, Any]


def run_task(kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Run the task ``kind`` (an entry of TASKS) on ``payload`` and return its result."""
    if kind not in TASKS:
        raise MalformedMessage(f"message kind={kind!r} is not known; allowed: {', '.join(TASKS)}")
    return TASKS[kind](payload)


def encode_message(kind: str, payload: Mapping[str, Any], *, request_id: str | None) -> str:
    """The message body for one task, at most MAX_MESSAGE_BYTES of strict JSON."""
    if kind not in TASKS:
        raise MalformedMessage(f"message kind={kind!r} is not known; allowed: {', '.join(TASKS)}")
    body = json.dumps({"kind": kind, "request_id": request_id, "payload": dict(payload)},
                      separators=(",", ":"), allow_nan=False)
    size = len(body.encode())
    if size > MAX_MESSAGE_BYTES:
        raise InvalidInput(
            f"the job is {size} bytes as a queue message; allowed: at most {MAX_MESSAGE_BYTES} bytes"
        )
    return body


_EXPECTED = {"kind": "one of " + ", ".join(TASKS), "payload": "a JSON object"}


def decode_message(body: str) -> TaskMessage:
    """Read a message body written by `encode_message`; `MalformedMessage` names what is wrong."""
    try:
        doc = parse_json(body)
    except InvalidJson as exc:
        raise MalformedMessage(f"message body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MalformedMessage(f"message body is a JSON {json_type(doc)}; expected a JSON object")
    for field in ("kind", "payload"):
        if field not in doc:
            raise MalformedMessage(f"message field {field!r} is missing; expected {_EXPECTED[field]}")
    kind = doc["kind"]
    if not isinstance(kind, str) or kind not in TASKS:
        raise MalformedMessage(f"message kind={kind!r} is not known; allowed: {', '.join(TASKS)}")
    request_id = doc.get("request_id")
    if request_id is not None and not isinstance(request_id, str):
        raise MalformedMessage(f"message request_id={request_id!r} is not valid; allowed: a string or null")
    payload = doc["payload"]
    if not isinstance(payload, dict):
        raise MalformedMessage(f"message payload is a JSON {json_type(payload)}; expected a JSON object")
    return TaskMessage(kind=kind, request_id=request_id, payload=payload)
