"""Check each AWS request the emulator receives against botocore's AWS API model.

Example::

    app = ApiModelMiddleware(moto_app, Path(".state/emulator-5055-api.jsonl"))  # WSGI, in `serve`
    python -m ops.api_model report .state/emulator-5055-api.jsonl               # exit 1 on a violation

moto accepts values AWS rejects. The middleware parses every request back into the parameters
of its operation, checks them against the operation's input shape in botocore's service model
and appends one JSON line per request to the record file: service, operation, whether it was
validated (or why not) and each violation (member path, value, rule). The request then goes to
moto unchanged.

The rules come from the model only: required members, unknown members, types and tagged unions
(botocore's ``ParamValidator``), plus what ``ParamValidator`` leaves out: ``max`` lengths,
sizes and values, ``enum`` and ``pattern`` (applied to the whole value). Patterns are Java
regexes; one that Python's ``re`` cannot compile (``\\p{L}``, ``&&`` class intersection, ...)
is not checked and the report counts it with the reason.

Requests are parsed back per protocol: ``json`` (``X-Amz-Target``), ``query`` and ``ec2``
(form bodies: ``member.N``, EC2's ``Name.N``, ``entry.N.key``), and ``rest-xml`` and
``rest-json`` (operation from the model's ``requestUri`` and method, members from the URI, query
string, headers and the XML or JSON body). Anything else (S3's bucket-in-host addressing, CBOR)
is recorded as not validated, with the reason; nothing is guessed. The service comes from the
SigV4 credential scope (its signing name), narrowed by the JSON target prefix or the query
``Version``.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import json
import re
import sys
import threading
import warnings
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, unquote, urlsplit

import botocore.loaders
import botocore.session
from botocore.validate import ParamValidator

# Longest value kept in a record; the report shortens further.
RECORD_VALUE_CHARS = 300
SHOWN_VALUE_CHARS = 80

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/[^/]+/([^/]+)/aws4_request")
_SURROGATE_PAIR = re.compile(r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE)
_URI_LABEL = re.compile(r"\{([^}]+)\}")
_MISSING = object()


@dataclass(frozen=True)
class Violation:
    """One value the model does not allow: ``member`` path, the ``value`` sent, the ``rule``."""

    member: str
    value: str
    rule: str


@dataclass
class Record:
    """What the check found for one request (one JSON line of the record file)."""

    service: str
    operation: str
    validated: bool
    reason: str = ""
    violations: list[Violation] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)  # "<member>: pattern <p>: <why not>"
    status: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, line: str) -> Record:
        raw = json.loads(line)
        raw["violations"] = [Violation(**v) for v in raw.get("violations", [])]
        return cls(**raw)


@dataclass(frozen=True)
class Request:
    """The parts of an HTTP request the check reads; ``headers`` keys are lower case.

    ``path`` is URL-decoded (WSGI's ``PATH_INFO``); ``raw_path`` is the path as sent, with its
    %-escapes (an ARN in a URI label keeps its ``%2F``), or "" when the server does not pass it on.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    raw_path: str = ""


# --------------------------------------------------------------------------------------------
# Rules: botocore's ParamValidator plus max, enum and pattern from the same shapes.
# --------------------------------------------------------------------------------------------


@functools.cache
def compile_pattern(pattern: str) -> re.Pattern[str] | str:
    """The model's Java regex as a Python one, or the reason Python's ``re`` cannot take it.

    Java's ``\\w``, ``\\d`` and ``\\s`` are ASCII-only, hence ``re.ASCII``; a UTF-16 surrogate
    pair (``\\uD800\\uDC00``) becomes the code point it encodes. A warning from ``re`` (a nested
    set, ``&&``) means Java reads the class differently, so that pattern is not used either.
    """

    def code_point(match: re.Match[str]) -> str:
        high, low = int(match[1], 16), int(match[2], 16)
        return "\\U%08x" % (0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))

    python = _SURROGATE_PAIR.sub(code_point, pattern)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return re.compile(python, re.ASCII)
    except (re.error, FutureWarning) as exc:
        return "Python re cannot compile it (%s)" % exc


class _Collector:
    """Stands in for botocore's ValidationErrors: turns each report into a Violation."""

    def __init__(self) -> None:
        self.violations: list[Violation] = []
        self.unchecked: list[str] = []

    def report(self, name: str, reason: str, **info: Any) -> None:
        member = _member_path(name)
        if reason == "pattern not checked":
            self.unchecked.append("%s: pattern %s: %s" % (member or "input", info["pattern"], info["why"]))
            return
        if reason == "missing required field":
            member, value, rule = _join(member, info["required_name"]), "(missing)", "required"
        elif reason == "unknown field":
            member, value, rule = _join(member, info["unknown_param"]), "(present)", "not a member of the input shape"
        elif reason == "invalid type":
            names = [re.sub(r"<class '(\w+\.)*(\w+)'>", r"\2", str(t)) for t in info["valid_types"]]
            value, rule = info["param"], "type: expected %s" % " or ".join(names)
        elif reason == "invalid range":
            value, rule = info["param"], "min %s" % info["min_allowed"]
        elif reason == "invalid length":
            value, rule = info["param"], "min length %s" % info["min_allowed"]
        elif reason in ("max", "max length"):
            value, rule = info["param"], "%s %s" % (reason, info["allowed"])
        elif reason == "enum":
            value, rule = info["param"], "enum: one of %s" % ", ".join(info["allowed"])
        elif reason == "pattern":
            value, rule = info["param"], "pattern %s" % info["pattern"]
        elif reason in ("more than one input", "empty input"):
            value = "(none set)" if reason == "empty input" else "(several set)"
            rule = "union: exactly one of %s" % ", ".join(info["members"])
        else:
            value, rule = info.get("param", ""), reason
        self.violations.append(Violation(member or "input", _shorten(value, RECORD_VALUE_CHARS), rule))


class ModelValidator(ParamValidator):  # type: ignore[misc]
    """botocore's ParamValidator plus the model's ``max``, ``enum`` and ``pattern``."""

    # ParamValidator skips the items of a scalar list whose member shape has none of these.
    VALIDATED_METADATA_ATTRS: ClassVar[set[str]] = {"required", "min", "max", "enum", "pattern", "document", "union"}

    def check(self, params: dict[str, Any], shape: Any) -> tuple[list[Violation], list[str]]:
        collector = _Collector()
        if shape is not None:
            self._validate(params, shape, collector, "")
        elif params:
            collector.report("", "unknown field", unknown_param=sorted(params)[0], valid_names=[])
        return collector.violations, collector.unchecked

    def _validate_string(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if super()._validate_string(param, shape, errors, name) is False:
            return False
        _max_check(name, param, len(param), shape, errors)
        if shape.enum and param not in shape.enum:
            errors.report(name, "enum", param=param, allowed=shape.enum)
        pattern = shape.metadata.get("pattern")
        if pattern is not None:
            compiled = compile_pattern(pattern)
            if isinstance(compiled, str):
                errors.report(name, "pattern not checked", pattern=pattern, why=compiled)
            elif not compiled.fullmatch(param):
                errors.report(name, "pattern", param=param, pattern=pattern)
        return None

    def _validate_list(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if super()._validate_list(param, shape, errors, name) is False:
            return False
        _max_check(name, param, len(param), shape, errors)
        return None

    def _validate_map(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if not isinstance(param, dict):
            return super()._validate_map(param, shape, errors, name)  # reports the type
        # Paths name[key] for a value and name(key key) for a key (botocore: name.key, "name (key: key)").
        for key, value in param.items():
            self._validate(key, shape.key, errors, "%s(key %s)" % (name, key))
            self._validate(value, shape.value, errors, "%s[%s]" % (name, key))
        if len(param) < shape.metadata.get("min", 0):
            errors.report(name, "invalid length", param=param, min_allowed=shape.metadata["min"])
        _max_check(name, param, len(param), shape, errors)
        return None

    def _validate_integer(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if super()._validate_integer(param, shape, errors, name) is False:
            return False
        _max_check(name, param, param, shape, errors)
        return None

    def _validate_long(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if super()._validate_long(param, shape, errors, name) is False:
            return False
        _max_check(name, param, param, shape, errors)
        return None

    def _validate_double(self, param: Any, shape: Any, errors: Any, name: str) -> Any:
        if super()._validate_double(param, shape, errors, name) is False:
            return False
        _max_check(name, param, param, shape, errors)
        return None

    _validate_float = _validate_double


def _max_check(name: str, param: Any, size: float, shape: Any, errors: Any) -> None:
    """``max`` of the shape: a number's value, or a string's length or a list's or map's size."""
    allowed = shape.metadata.get("max")
    if allowed is not None and size > allowed:
        rule = "max" if size is param else "max length"
        errors.report(
            name, rule, param=param if size is param else "%s (%d)" % (_shorten(param, 40), size), allowed=allowed
        )


def _member_path(name: str) -> str:
    return name[1:] if name.startswith(".") else name


def _join(path: str, member: str) -> str:
    return "%s.%s" % (path, member) if path else member


def _shorten(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else "%s...(%d chars)" % (text[:limit], len(text))


# --------------------------------------------------------------------------------------------
# Which service and operation: signing name, then the JSON target prefix or the query Version.
# --------------------------------------------------------------------------------------------


class Models:
    """botocore service models, found by signing name; the full index is built on first need."""

    def __init__(self) -> None:
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._available: set[str] = set(self._session.get_available_services())
        self._index: dict[str, dict[str, Any]] | None = None

    def model(self, name: str) -> Any:
        with self._lock:
            return self._session.get_service_model(name)

    def find(self, signing_name: str | None, match: Callable[[dict[str, Any]], bool]) -> Any:
        """The service model whose metadata ``match``es, preferring the one named like the signing name."""
        if signing_name in self._available:
            model = self.model(signing_name)
            if model.signing_name == signing_name and match(model.metadata):
                return model
        for name, metadata in self._full_index().items():
            signing = metadata.get("signingName", metadata.get("endpointPrefix"))
            if (signing_name is None or signing == signing_name) and match(metadata):
                return self.model(name)
        return None

    def _full_index(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            if self._index is None:
                loader = botocore.loaders.Loader()  # its cache goes when the index is built
                self._index = {
                    name: dict(loader.load_service_model(name, "service-2")["metadata"])
                    for name in sorted(self._available)
                }
            return self._index


def _signing_name(request: Request) -> str | None:
    found = _CREDENTIAL.search(request.headers.get("authorization", ""))
    if found is None:
        found = _CREDENTIAL.search("Credential=" + dict(parse_qsl(request.query)).get("X-Amz-Credential", ""))
    return found[1] if found else None


class Checker:
    """Parses a request back into its operation's parameters and checks them against the model."""

    def __init__(self, models: Models | None = None) -> None:
        self.models = models or Models()
        self.validator = ModelValidator()

    def check(self, request: Request) -> Record:
        signing = _signing_name(request)
        target = request.headers.get("x-amz-target")
        if target:
            return self._check_json(request, signing, target)
        form = self._form(request)
        if "Action" in form:
            return self._check_query(signing, form)
        return self._check_rest(request, signing)

    def _validated(self, service: str, operation: Any, params: dict[str, Any], extra: list[Violation]) -> Record:
        violations, unchecked = self.validator.check(params, operation.input_shape)
        return Record(service, operation.name, True, violations=extra + violations, unchecked=unchecked)

    # json ------------------------------------------------------------------------------------

    def _check_json(self, request: Request, signing: str | None, target: str) -> Record:
        prefix, _, action = target.rpartition(".")
        model = self.models.find(signing, lambda m: m.get("targetPrefix") == prefix)
        if model is None:
            return Record(signing or "?", action, False, "no service model has the JSON target prefix %r" % prefix)
        if action not in model.operation_names:
            return Record(
                model.service_name, action, False, "operation not in botocore's %s model" % model.service_name
            )
        try:
            params = json.loads(request.body or b"{}")
        except ValueError as exc:
            return Record(model.service_name, action, False, "body is not JSON (%s)" % exc)
        if not isinstance(params, dict):
            return Record(model.service_name, action, False, "JSON body is not an object")
        return self._validated(model.service_name, model.operation_model(action), params, [])

    # query / ec2 -----------------------------------------------------------------------------

    @staticmethod
    def _form(request: Request) -> dict[str, str]:
        pairs = parse_qsl(request.query, keep_blank_values=True)
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            pairs += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return dict(pairs)

    def _check_query(self, signing: str | None, form: dict[str, str]) -> Record:
        action, version = form["Action"], form.get("Version")
        if signing is None:
            return Record("?", action, False, "unsigned query request: no service to look the Action up in")
        model = self.models.find(signing, lambda m: m.get("apiVersion") == version)
        if model is None:
            return Record(signing, action, False, "no service model signs as %r with Version=%s" % (signing, version))
        if action not in model.operation_names:
            return Record(
                model.service_name, action, False, "operation not in botocore's %s model" % model.service_name
            )
        operation = model.operation_model(action)
        parser = _QueryParser(form, ec2=model.protocol == "ec2")
        params = parser.structure(operation.input_shape, "") if operation.input_shape is not None else {}
        extra = [
            Violation(
                key, _shorten(form[key], RECORD_VALUE_CHARS), "no member of the input shape serializes to this key"
            )
            for key in sorted(set(form) - parser.consumed - {"Action", "Version"})
        ]
        return self._validated(model.service_name, operation, params, extra)

    # rest-xml and rest-json -------------------------------------------------------------------

    def _check_rest(self, request: Request, signing: str | None) -> Record:
        if signing is None:
            return Record("?", "?", False, "unsigned request without a JSON target or a query Action")
        model = self.models.find(signing, lambda m: m.get("protocol") in ("rest-xml", "rest-json"))
        if model is None:
            return Record(
                signing, "?", False, "no JSON target, no query Action, and no REST service signs as %r" % signing
            )
        if model.protocol not in ("rest-xml", "rest-json") or model.service_name in ("s3", "s3control"):
            why = (
                "S3 addressing (bucket in the host)" if model.protocol == "rest-xml" else "protocol %s" % model.protocol
            )
            return Record(model.service_name, "?", False, "%s: request not parsed back" % why)
        # A rest-json URI label is often an ARN whose "/" is sent as %2F: match the path as sent.
        path = (request.raw_path or request.path) if model.protocol == "rest-json" else request.path
        matched = _match_rest_operation(model, request, path)
        if matched is None:
            return Record(
                model.service_name,
                "?",
                False,
                "no operation's requestUri matches %s %s" % (request.method, _id_free(path)),
            )
        operation, labels = matched
        if model.protocol == "rest-json":
            try:
                params, extra = _rest_json_params(operation, request, labels)
            except _NotParsed as exc:
                return Record(model.service_name, operation.name, False, str(exc))
            return self._validated(model.service_name, operation, params, extra)
        try:
            params = _rest_xml_params(operation, request, labels)
        except ET.ParseError as exc:
            return Record(model.service_name, operation.name, False, "XML body does not parse (%s)" % exc)
        except _NotParsed as exc:
            return Record(model.service_name, operation.name, False, "XML body not parsed back: %s" % exc)
        except _UnknownElement as exc:
            return Record(
                model.service_name,
                operation.name,
                True,
                violations=[Violation(str(exc), "(present)", "not a member of the input shape")],
            )
        return self._validated(model.service_name, operation, params, [])


def _id_free(path: str) -> str:
    """The path with resource IDs (``/Z0123456789ABC``) folded, so the report groups such requests."""
    return re.sub(r"/[A-Z0-9]{10,}", "/{id}", path)


# --------------------------------------------------------------------------------------------
# Parsing back: query/ec2 form keys, rest-xml and rest-json URI + XML or JSON body.
# --------------------------------------------------------------------------------------------


def _scalar(text: str, shape: Any) -> Any:
    """Text as the shape's type; text that does not convert stays a string (a type violation)."""
    kind = shape.type_name
    try:
        if kind in ("integer", "long"):
            return int(text)
        if kind in ("float", "double"):
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


class _QueryParser:
    """Rebuilds parameters from query/ec2 form keys, the inverse of botocore's serializers."""

    def __init__(self, form: dict[str, str], *, ec2: bool) -> None:
        self.form, self.ec2 = form, ec2
        self.consumed: set[str] = set()

    def value(self, shape: Any, key: str) -> Any:
        kind = shape.type_name
        if kind == "structure":
            return self.structure(shape, key)
        if kind == "list":
            return self.list(shape, key)
        if kind == "map":
            return self.map(shape, key)
        if key not in self.form:
            return _MISSING
        self.consumed.add(key)
        return _scalar(self.form[key], shape)

    def _name(self, member: Any, name: str) -> str:
        if self.ec2:
            query_name = member.serialization.get("queryName")
            if query_name:
                return str(query_name)
            located = member.serialization.get("name") or name
            return str(located[0].upper() + located[1:])
        return str(member.serialization.get("name") or name)

    def structure(self, shape: Any, prefix: str) -> Any:
        params: dict[str, Any] = {}
        for name, member in shape.members.items():
            key = self._name(member, name)
            found = self.value(member, "%s.%s" % (prefix, key) if prefix else key)
            if found is not _MISSING:
                params[name] = found
        return params if params or not prefix else _MISSING

    def _indices(self, prefix: str) -> list[int]:
        found = set()
        for key in self.form:
            if key.startswith(prefix + "."):
                head = key[len(prefix) + 1 :].split(".", 1)[0]
                if head.isdigit():
                    found.add(int(head))
        return sorted(found)

    def list(self, shape: Any, key: str) -> Any:
        if self.form.get(key) == "":
            self.consumed.add(key)
            return []
        if self.ec2:
            items_prefix = key
        elif shape.serialization.get("flattened"):
            items_prefix = key
            if shape.member.serialization.get("name"):
                items_prefix = ".".join([*key.split(".")[:-1], shape.member.serialization["name"]])
        else:
            items_prefix = "%s.%s" % (key, shape.member.serialization.get("name", "member"))
        indices = self._indices(items_prefix)
        if not indices:
            return _MISSING
        items = [self.value(shape.member, "%s.%d" % (items_prefix, i)) for i in indices]
        return [item for item in items if item is not _MISSING]

    def map(self, shape: Any, key: str) -> Any:
        entries = key if shape.serialization.get("flattened") else key + ".entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[str, Any] = {}
        indices = self._indices(entries)
        for i in indices:
            map_key = self.value(shape.key, "%s.%d.%s" % (entries, i, key_name))
            map_value = self.value(shape.value, "%s.%d.%s" % (entries, i, value_name))
            if map_key is not _MISSING:
                result[str(map_key)] = None if map_value is _MISSING else map_value
        return result if indices else _MISSING


class _UnknownElement(ValueError):
    """An XML element no member of the shape serializes to (its path is the message)."""


class _NotParsed(ValueError):
    """A part of the body this module does not parse back (the message says which)."""


@dataclass(frozen=True)
class _UriTemplate:
    """A ``requestUri``: its path as a regex (one group per label) and what ranks a match."""

    regex: re.Pattern[str]
    literal_segments: int  # path segments without a label
    literal_chars: int
    query: tuple[tuple[str, str | None], ...]  # keys the request must send; a value if the template gives one


@functools.cache
def _uri_template(request_uri: str) -> _UriTemplate:
    path_template, _, query_template = request_uri.partition("?")
    regex, literal = "", 0
    for part in re.split(r"(\{[^}]+\})", path_template):
        label = _URI_LABEL.fullmatch(part)
        if label:
            greedy = label[1].endswith("+")
            regex += "(?P<%s>%s)" % (_group(label[1].rstrip("+")), ".+" if greedy else "[^/]+")
        else:
            regex += re.escape(part)
            literal += len(part)
    segments = sum(1 for segment in path_template.split("/") if segment and not _URI_LABEL.search(segment))
    query = []
    for pair in query_template.split("&") if query_template else []:
        key, equals, value = pair.partition("=")
        query.append((unquote(key), unquote(value) if equals else None))
    return _UriTemplate(re.compile(regex), segments, literal, tuple(query))


def _match_rest_operation(model: Any, request: Request, path: str) -> tuple[Any, dict[str, str]] | None:
    """The operation whose method and ``requestUri`` match ``path`` and the query string.

    A label matches one path segment, a greedy one (``{Key+}``) the rest of the path; the query
    keys of the template must be sent, with the template's value where it gives one. Of several
    matches the one with the most literal path segments wins, then the most literal characters,
    then the most query keys. The labels' values come back URL-decoded.
    """
    sent: dict[str, set[str]] = defaultdict(set)
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        sent[key].add(value)
    best: tuple[tuple[int, int, int], Any, dict[str, str]] | None = None
    for name in model.operation_names:
        operation = model.operation_model(name)
        if operation.http.get("method") != request.method:
            continue
        template = _uri_template(operation.http["requestUri"])
        matched = template.regex.fullmatch(path) or template.regex.fullmatch(path.rstrip("/") + "/")
        if matched is None or not all(
            key in sent and (value is None or value in sent[key]) for key, value in template.query
        ):
            continue
        rank = (template.literal_segments, template.literal_chars, len(template.query))
        if best is None or rank > best[0]:
            best = (rank, operation, {key: unquote(value) for key, value in matched.groupdict().items()})
    return (best[1], best[2]) if best else None


def _group(label: str) -> str:
    return re.sub(r"\W", "_", label)


def _located_params(operation: Any, request: Request, labels: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The input members sent in the URI, query string and headers, and the members left for the body.

    As botocore serializes them: a query-string list repeats its key, a query-string map takes
    the keys no other member (nor the ``requestUri``) uses, a header list is comma-separated
    (items with a comma quoted), a ``headers`` map is every header with its prefix.
    """
    shape = operation.input_shape
    params: dict[str, Any] = {}
    body_members: dict[str, Any] = {}
    query: dict[str, list[str]] = defaultdict(list)
    for key, value in parse_qsl(request.query, keep_blank_values=True):
        query[key].append(value)
    taken = {key for key, _ in _uri_template(operation.http["requestUri"]).query} | {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == "querystring" and member.type_name != "map"
    }
    for name, member in shape.members.items():
        location, located = member.serialization.get("location"), member.serialization.get("name", name)
        if location == "uri":
            if _group(located) in labels:
                params[name] = _scalar(labels[_group(located)], member)
        elif location == "querystring" and member.type_name == "map":
            rest = {key: values for key, values in query.items() if key not in taken}
            if rest:
                params[name] = {
                    key: [_scalar(v, member.value.member) for v in values]
                    if member.value.type_name == "list"
                    else _scalar(values[0], member.value)
                    for key, values in rest.items()
                }
        elif location == "querystring":
            if located in query:
                values = query[located]
                params[name] = (
                    [_scalar(v, member.member) for v in values]
                    if member.type_name == "list"
                    else _scalar(values[0], member)
                )
        elif location == "header":
            if located.lower() in request.headers:
                text = request.headers[located.lower()]
                params[name] = (
                    [_scalar(item, member.member) for item in _header_items(text)]
                    if member.type_name == "list"
                    else _scalar(text, member)
                )
        elif location == "headers":
            prefix = located.lower()
            found = {
                key[len(prefix) :]: _scalar(value, member.value)
                for key, value in request.headers.items()
                if key.startswith(prefix)
            }
            if found:
                params[name] = found
        elif location is None:
            body_members[name] = member
    return params, body_members


def _header_items(text: str) -> list[str]:
    """A list header's items: botocore joins them with "," and quotes one holding "," or '"'."""
    return [
        item.strip() for item in next(csv.reader([text], skipinitialspace=True, escapechar="\\", doublequote=False))
    ]


def _rest_xml_params(operation: Any, request: Request, labels: dict[str, str]) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params, body_members = _located_params(operation, request, labels)
    if request.body.strip() and body_members:
        root = ET.fromstring(request.body)
        payload = shape.serialization.get("payload")
        if payload:
            params[payload] = _xml_value(root, shape.members[payload], payload)
        else:
            params.update(_xml_structure(root, shape, ""))
    return params


def _rest_json_params(
    operation: Any, request: Request, labels: dict[str, str]
) -> tuple[dict[str, Any], list[Violation]]:
    """The input of a rest-json request, and a violation for each body key no body member sends.

    The body is a JSON object of the members without a location (keyed by their ``locationName``
    where they have one), or, if the input has a ``payload`` member, that member's value: JSON
    for a structure, the bytes or text as sent for a blob or string.
    """
    shape = operation.input_shape
    if shape is None:
        return {}, []
    params, body_members = _located_params(operation, request, labels)
    payload = shape.serialization.get("payload")
    if payload:
        member = shape.members[payload]
        if member.type_name == "blob":
            if request.body:
                params[payload] = request.body
        elif member.type_name == "string":
            if request.body:
                params[payload] = request.body.decode("utf-8", "replace")
        elif request.body.strip():
            params[payload] = _json_value(_json_body(request.body), member)
        return params, []
    if not request.body.strip():
        return params, []
    document = _json_body(request.body)
    if not isinstance(document, dict):
        raise _NotParsed("JSON body is not an object")
    by_key = {member.serialization.get("name", name): (name, member) for name, member in body_members.items()}
    extra = []
    for key, value in document.items():
        if key in by_key:
            name, member = by_key[key]
            params[name] = _json_value(value, member)
        elif key in shape.members:
            where = shape.members[key].serialization.get("location")
            extra.append(Violation(key, "(present)", "sent in the JSON body; the model sends it in the %s" % where))
        else:
            extra.append(Violation(key, "(present)", "not a member of the input shape"))
    return params, extra


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError as exc:
        raise _NotParsed("body is not JSON (%s)" % exc) from exc


def _json_value(value: Any, shape: Any) -> Any:
    """A JSON value with each structure key that is a member's ``locationName`` renamed to the member."""
    kind = shape.type_name
    if kind == "structure" and not shape.is_document_type and isinstance(value, dict):
        names = {member.serialization.get("name", name): name for name, member in shape.members.items()}
        return {
            names.get(key, key): _json_value(item, shape.members[names[key]]) if key in names else item
            for key, item in value.items()
        }
    if kind == "list" and isinstance(value, list):
        return [_json_value(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: _json_value(item, shape.value) for key, item in value.items()}
    return value


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_value(element: ET.Element, shape: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return _xml_structure(element, shape, path)
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        return [
            _xml_value(child, shape.member, "%s[%d]" % (path, i))
            for i, child in enumerate(element)
            if _local(child.tag) == item_name
        ]
    if kind == "map":
        raise _NotParsed("%s is an XML map" % path)
    return _scalar(element.text or "", shape)


def _xml_structure(element: ET.Element, shape: Any, path: str) -> dict[str, Any]:
    by_tag = {member.serialization.get("name", name): (name, member) for name, member in shape.members.items()}
    params: dict[str, Any] = {}
    for child in element:
        tag = _local(child.tag)
        if tag not in by_tag:
            raise _UnknownElement(_join(path, tag))
        name, member = by_tag[tag]
        if member.type_name == "list" and member.serialization.get("flattened"):
            params.setdefault(name, []).append(
                _xml_value(child, member.member, "%s[%d]" % (_join(path, name), len(params.get(name, []))))
            )
        else:
            params[name] = _xml_value(child, member, _join(path, name))
    return params


# --------------------------------------------------------------------------------------------
# WSGI middleware and the record file.
# --------------------------------------------------------------------------------------------


class ApiModelMiddleware:
    """Checks each request against the API model, appends its Record to ``log_path``, passes it on.

    The body is read once and handed on as a fresh stream, so the wrapped app reads it as sent.
    Requests to moto's own ``/moto-api/`` paths are not AWS requests and are not recorded.
    A failure of the check itself is recorded as "not validated" and never reaches the client.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], log_path: Path, checker: Checker | None = None) -> None:
        self.app, self.log_path = app, log_path
        self.checker = checker or Checker()
        self._lock = threading.Lock()
        log_path.parent.mkdir(parents=True, exist_ok=True)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            return self.app(environ, start_response)
        body = _read_body(environ)
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = Request(
            environ.get("REQUEST_METHOD", "GET"),
            path,
            environ.get("QUERY_STRING", ""),
            headers,
            body,
            _raw_path(environ),
        )
        try:
            record = self.checker.check(request)
        except Exception as exc:  # the check must never break the emulator; the report shows it
            record = Record(_signing_name(request) or "?", "?", False, "the check itself failed: %r" % exc)
        statuses: list[str] = []

        def capture(status: str, response_headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, response_headers, exc_info)

        try:
            return self.app(environ, capture)
        finally:
            record.status = int(statuses[0].split()[0]) if statuses else None
            with self._lock, self.log_path.open("a", encoding="utf-8") as log:
                log.write(record.to_json() + "\n")


def _raw_path(environ: dict[str, Any]) -> str:
    """The path as sent (escapes kept) from ``RAW_URI``/``REQUEST_URI`` (werkzeug, gunicorn), or ""."""
    target = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if target.startswith("/"):
        return target.partition("?")[0].partition("#")[0]
    return urlsplit(target).path if "://" in target else ""


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body = bytes(stream.read(int(length)))
    elif environ.get("wsgi.input_terminated"):
        body = bytes(stream.read())
    else:
        return b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


# --------------------------------------------------------------------------------------------
# The report.
# --------------------------------------------------------------------------------------------


def read_records(path: Path) -> Iterator[Record]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield Record.from_json(line)


def format_report(records: Iterable[Record]) -> tuple[str, int]:
    """The coverage table and every violation; returns (text, number of distinct violations)."""
    seen: dict[str, set[str]] = defaultdict(set)
    validated: dict[str, set[str]] = defaultdict(set)
    requests: Counter[str] = Counter()
    not_validated: Counter[tuple[str, str]] = Counter()
    unchecked: Counter[str] = Counter()
    violations: Counter[str] = Counter()
    for record in records:
        name = "%s.%s" % (record.service, record.operation)
        seen[record.service].add(record.operation)
        requests[record.service] += 1
        if record.validated:
            validated[record.service].add(record.operation)
        else:
            not_validated[(name, record.reason)] += 1
        for line in record.unchecked:
            member, rest = line.split(": ", 1)
            unchecked[
                "%s: %s: %s" % (name, re.sub(r"\(key [^)]*\)", "(key)", re.sub(r"\[[^\]]*\]", "[]", member)), rest)
            ] += 1
        for v in record.violations:
            violations["%s: %s=%s: %s" % (name, v.member, _shorten(v.value, SHOWN_VALUE_CHARS), v.rule)] += 1
    total_seen = sum(len(ops) for ops in seen.values())
    total_validated = sum(len(ops) for ops in validated.values())
    lines = [
        "API-model check: %d requests, %d operations seen, %d validated, %d not validated, %d violations"
        % (sum(requests.values()), total_seen, total_validated, total_seen - total_validated, len(violations)),
        "%-28s %8s %10s %14s %9s" % ("service", "seen", "validated", "not validated", "requests"),
    ]
    for service in sorted(seen):
        count, ok = len(seen[service]), len(validated[service])
        lines.append("%-28s %8d %10d %14d %9d" % (service, count, ok, count - ok, requests[service]))
    if not_validated:
        lines.append("Not validated (operation: requests: why):")
        lines += ["  %s: %d: %s" % (name, n, reason) for (name, reason), n in sorted(not_validated.items())]
    if unchecked:
        lines.append("Patterns not checked (operation: member: pattern: why; values):")
        lines += ["  %s; %d" % (line, n) for line, n in sorted(unchecked.items())]
    if violations:
        lines.append("Violations (operation: member=value: rule; requests):")
        lines += ["  %s; %d" % (line, n) for line, n in sorted(violations.items())]
    return "\n".join(lines), len(violations)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.api_model", description=(__doc__ or "").split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    report_p = sub.add_parser("report", help="print coverage and violations of a record file; exit 1 on a violation")
    report_p.add_argument("records", type=Path)
    args = parser.parse_args(argv)
    if not args.records.is_file():
        print(
            "api-model: error: no record file %s (did the emulator run with EMULATOR_API_LOG set to it?)"
            % args.records,
            file=sys.stderr,
        )
        return 1
    text, violations = format_report(read_records(args.records))
    print(text)
    return 1 if violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
