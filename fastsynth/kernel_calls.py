"""Count the jsii kernel calls a synth makes: a measurement, never a budget.

    from fastsynth import kernel_calls

    calls = kernel_calls.count()  # before the build: wraps jsii's call functions
    main.build("cdktf.out")
    print(calls.describe())  # "748 kernel calls: create 454, get 281, invoke 13; 0 attribute reads repeated on one object"

Every call from a Python binding into the Node.js kernel (``create`` an object, ``get`` /
``set`` a property, ``invoke`` a method, and their static forms) is one synchronous round
trip. The accelerator makes each round trip cheaper; it never changes which calls the app
makes. ``make bench-synth`` prints these counts next to its timings, and the accelerator's
tests check that a fast and an eager synth make exactly the same calls. Nothing fails
because a construct reads an attribute twice: constructs are written for their readers,
and a change in the counts is something to look at in the bench output, not a test
failure.

Counting costs a Python function call per kernel call (about a microsecond; a synth makes
~750), so the bench counts in its unmeasured warm-up run only.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable
from typing import Any

KINDS = ("create", "get", "set", "invoke", "sget", "sset", "sinvoke")
"""jsii's module-level call functions that the generated bindings call, one kernel request each."""


@dataclasses.dataclass
class KernelCalls:
    """Kernel calls made since ``count()``: per kind, and per (class, property, object) read."""

    calls: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    reads: collections.Counter[tuple[str, str, str]] = dataclasses.field(default_factory=collections.Counter)

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def repeated_reads(self) -> list[tuple[str, str, str, int]]:
        """``(class, property, object ref, times)`` for each property read more than once from one object."""
        return [(cls, prop, ref, n) for (cls, prop, ref), n in sorted(self.reads.items()) if n > 1]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"total": ..., "calls": {kind: n}, "repeated_reads": n}`` (kinds never called are 0)."""
        return {
            "total": self.total,
            "calls": {kind: self.calls[kind] for kind in KINDS},
            "repeated_reads": sum(n - 1 for *_, n in self.repeated_reads()),
        }

    def describe(self) -> str:
        counts = ", ".join("%s %d" % (kind, self.calls[kind]) for kind in KINDS if self.calls[kind])
        repeated = sum(n - 1 for *_, n in self.repeated_reads())
        return "%d kernel calls: %s; %d attribute reads repeated on one object" % (
            self.total,
            counts or "none",
            repeated,
        )


_counter: KernelCalls | None = None


def count() -> KernelCalls:
    """Start counting (idempotent: later calls return the same live counter).

    Wraps ``jsii.create``, ``jsii.get``, ... in place; the bindings look them up on the
    ``jsii`` module at each call, so it works before or after the bindings are imported,
    with or without ``fastsynth.install``. Importing ``jsii`` does not start the kernel.
    """
    global _counter
    if _counter is not None:
        return _counter
    import jsii

    counter = KernelCalls()

    def counting(kind: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def call(obj: Any, *args: Any, **kwargs: Any) -> Any:
            counter.calls[kind] += 1
            if kind == "get":
                ref = getattr(getattr(obj, "__jsii_ref__", None), "ref", None) or "id:%d" % id(obj)
                counter.reads[(type(obj).__name__, str(args[0]), str(ref))] += 1
            return original(obj, *args, **kwargs)

        call.__wrapped__ = original  # type: ignore[attr-defined]
        return call

    for kind in KINDS:
        setattr(jsii, kind, counting(kind, getattr(jsii, kind)))
    _counter = counter
    return counter
