"""app.tasks: the sum task's rules, strict JSON, and the queue message format (no network)."""

from __future__ import annotations

import json
import sys

import pytest

from app.tasks import (
    MAX_MESSAGE_BYTES,
    MAX_SUM_ITEMS,
    InvalidInput,
    InvalidJson,
    MalformedMessage,
    TaskMessage,
    decode_message,
    encode_message,
    parse_json,
    run_sum,
    run_task,
)


def test_a_message_round_trips() -> None:
    body = encode_message("sum", {"numbers": [1, 2.5]}, request_id="req-000001")
    assert json.loads(body) == {"kind": "sum", "request_id": "req-000001", "payload": {"numbers": [1, 2.5]}}
    message = decode_message(body)
    assert message == TaskMessage(kind="sum", request_id="req-000001", payload={"numbers": [1, 2.5]})
    assert run_task(message.kind, message.payload) == {"sum": 3.5, "count": 2}


def test_a_message_queued_outside_a_request_has_a_null_request_id() -> None:
    assert decode_message(encode_message("sum", {"numbers": []}, request_id=None)).request_id is None


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("{oops", r"message body is not valid JSON: Expecting property name .* at line 1 column 2"),
        ('{"kind": "sum", "payload": {"numbers": [NaN]}}', r"message body is not valid JSON: NaN is not a JSON value"),
        ("[1, 2]", r"message body is a JSON list; expected a JSON object"),
        ('{"payload": {}}', r"message field 'kind' is missing; expected one of sum"),
        ('{"kind": "sum"}', r"message field 'payload' is missing; expected a JSON object"),
        ('{"kind": "resize", "payload": {}}', r"message kind='resize' is not known; allowed: sum"),
        ('{"kind": "sum", "payload": null}', r"message payload is a JSON null; expected a JSON object"),
        ('{"kind": "sum", "payload": {}, "request_id": 7}',
         r"message request_id=7 is not valid; allowed: a string or null"),
    ],
)
def test_malformed_messages_say_what_is_wrong(body: str, match: str) -> None:
    with pytest.raises(MalformedMessage, match=match):
        decode_message(body)


def test_encoding_refuses_an_unknown_kind() -> None:
    with pytest.raises(MalformedMessage, match=r"message kind='resize' is not known; allowed: sum"):
        encode_message("resize", {}, request_id=None)


def test_running_refuses_an_unknown_kind() -> None:
    with pytest.raises(MalformedMessage, match=r"message kind='resize' is not known; allowed: sum"):
        run_task("resize", {})


def test_a_message_larger_than_the_sqs_limit_is_refused() -> None:
    numbers = [10**300] * (MAX_MESSAGE_BYTES // 300 + 1)  # 301 digits each
    assert len(numbers) <= MAX_SUM_ITEMS
    with pytest.raises(InvalidInput, match=rf"the job is \d+ bytes as a queue message; allowed: at most {MAX_MESSAGE_BYTES} bytes"):
        encode_message("sum", {"numbers": numbers}, request_id=None)


def test_the_largest_sum_request_fits_a_message() -> None:
    """MAX_SUM_ITEMS ordinary numbers stay well inside the message limit."""
    body = encode_message("sum", {"numbers": [-1.2345678901234567e-300] * MAX_SUM_ITEMS}, request_id="r" * 128)
    assert len(body.encode()) <= MAX_MESSAGE_BYTES


@pytest.mark.parametrize(
    ("payload", "match"),
    [
        ({"values": [1]}, r"field 'numbers' is missing; expected a list of numbers"),
        ({"numbers": "1,2"}, r"field 'numbers' is a JSON str; expected a list of numbers"),
        ({"numbers": None}, r"field 'numbers' is a JSON null; expected a list of numbers"),
        ({"numbers": [1] * (MAX_SUM_ITEMS + 1)}, rf"field 'numbers' has {MAX_SUM_ITEMS + 1} items; allowed: at most {MAX_SUM_ITEMS}"),
        ({"numbers": [1, "2"]}, r"field 'numbers\[1\]'='2' is not a number"),
        ({"numbers": [False]}, r"field 'numbers\[0\]'=False is not a number"),
        ({"numbers": [1e308, 1e308]}, r"the sum of field 'numbers' is out of range; allowed: a sum within ±1\.79769e\+308"),
        ({"numbers": [10**400, 1.5]}, r"the sum of field 'numbers' is out of range"),
        ({"numbers": [10**400]}, r"the sum of field 'numbers' is out of range"),
    ],
)
def test_sum_rules_name_field_value_and_allowed(payload: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInput, match=match):
        run_sum(payload)


def test_large_integers_that_cancel_out_are_summed_exactly() -> None:
    assert run_sum({"numbers": [10**400, -(10**400), 2]}) == {"sum": 2, "count": 3}


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ('[NaN]', r"^NaN is not a JSON value$"),
        ('[Infinity]', r"^Infinity is not a JSON value$"),
        ('[-Infinity]', r"^-Infinity is not a JSON value$"),
        ("[" + "9" * 5000 + "]", rf"^a number has more than {sys.get_int_max_str_digits()} digits$"),
        (b"\xff\xfe{", r"^it is not UTF-8 text$"),
        ('{"a": 1,}', r"^Expecting property name enclosed in double quotes at line 1 column 9$"),
    ],
)
def test_strict_json_refuses_what_is_not_json(raw: str | bytes, match: str) -> None:
    with pytest.raises(InvalidJson, match=match):
        parse_json(raw)
