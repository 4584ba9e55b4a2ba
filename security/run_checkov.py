"""Run checkov over every synthesized stack and hold the result against the allow-list.

    .tools-venv/bin/python security/run_checkov.py cdktf.out [--json]

Runs ``checkov --framework terraform_json`` once over ``<out>/stacks`` (offline:
``--skip-download``), then:

* every failed check must match an entry of ``security/checkov_allowlist.toml`` (check id,
  resource address, optionally the stacks it applies to), otherwise it is a *new failure*;
* every entry must still match a failure in each stack it names (or in some stack, when it
  names none), otherwise it is *stale* and must be removed;
* the allow-list holds at most :data:`MAX_ENTRIES` entries, each with a one-line reason.

Exit 0 when there is no new failure and no stale entry, 1 otherwise, 2 when checkov or the
allow-list cannot be read. Runs in the scanner venv; imports nothing from the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALLOWLIST = HERE / "checkov_allowlist.toml"
MAX_ENTRIES = 6


class CheckovError(Exception):
    """checkov did not run, or its output or the allow-list cannot be read."""


@dataclass(frozen=True)
class Result:
    check_id: str
    check_name: str
    stack: str
    resource: str
    """Canonical address: ``<type>.<name>`` or ``data.<type>.<name>``."""


@dataclass
class Entry:
    check: str
    resource: str
    reason: str
    stacks: tuple[str, ...] = ()
    matched: set[str] = field(default_factory=set)

    def matches(self, result: Result) -> bool:
        return (
            result.check_id == self.check
            and result.resource == self.resource
            and (not self.stacks or result.stack in self.stacks)
        )

    def describe(self) -> str:
        return "%s on %s%s" % (self.check, self.resource, " in %s" % ", ".join(self.stacks) if self.stacks else "")


def load_allowlist(path: Path = ALLOWLIST) -> list[Entry]:
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CheckovError("cannot read %s: %s" % (path, exc)) from None
    unknown = set(document) - {"allow"}
    if unknown:
        raise CheckovError("%s: unknown top-level keys %s; allowed: [[allow]] tables" % (path, sorted(unknown)))
    entries: list[Entry] = []
    for i, raw in enumerate(document.get("allow", [])):
        keys = set(raw)
        if not {"check", "resource", "reason"} <= keys or keys - {"check", "resource", "reason", "stacks"}:
            raise CheckovError(
                "%s: allow[%d] has keys %s; allowed: check, resource, reason (required) and stacks"
                % (path, i, sorted(keys))
            )
        reason = str(raw["reason"]).strip()
        if not reason or "\n" in reason:
            raise CheckovError("%s: allow[%d].reason must be one non-empty line" % (path, i))
        entries.append(Entry(str(raw["check"]), str(raw["resource"]), reason, tuple(raw.get("stacks", ()))))
    if len(entries) > MAX_ENTRIES:
        raise CheckovError("%s has %d entries; allowed: at most %d" % (path, len(entries), MAX_ENTRIES))
    seen = [(e.check, e.resource) for e in entries]
    if len(set(seen)) != len(seen):
        raise CheckovError("%s: an entry repeats a (check, resource) pair" % path)
    return entries


def checkov_command(stacks_dir: Path) -> list[str]:
    exe = Path(sys.executable).with_name("checkov")
    return [str(exe), "-d", str(stacks_dir), "--framework", "terraform_json", "-o", "json",
            "--compact", "--skip-download"]  # fmt: skip


def _addresses(stack: dict[str, Any]) -> dict[str, str]:
    """``resource.<name>`` / ``data.<name>`` (how checkov names JSON blocks) -> ``[data.]<type>.<name>``."""
    out: dict[str, str] = {}
    for rtype, items in stack.get("resource", {}).items():
        for name in items:
            out["resource.%s" % name] = "%s.%s" % (rtype, name)
    for dtype, items in stack.get("data", {}).items():
        for name in items:
            out["data.%s" % name] = "data.%s.%s" % (dtype, name)
    return out


def run_checkov(out: Path) -> tuple[dict[str, int], list[Result], list[Result]]:
    """(summary counts, failed results, passed results) of one checkov run over every stack."""
    stacks_dir = out / "stacks"
    if not stacks_dir.is_dir():
        raise CheckovError("%s has no stacks/ directory; synthesize first (make synth)" % out)
    stacks = {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted(stacks_dir.iterdir())
              if (p / "cdk.tf.json").is_file()}  # fmt: skip
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE", CHECKOV_RUN_SCA_PACKAGE_SCAN_V2="false", LOG_LEVEL="ERROR")
    proc = subprocess.run(checkov_command(stacks_dir), capture_output=True, text=True, env=env, check=False)
    if proc.returncode not in (0, 1):
        raise CheckovError("checkov exited %d: %s" % (proc.returncode, proc.stderr[-2000:]))
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise CheckovError("checkov printed no JSON report: %s" % (proc.stdout[:500] + proc.stderr[-1000:])) from None
    reports = report if isinstance(report, list) else [report]
    summary = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    failed: list[Result] = []
    passed: list[Result] = []
    for rep in reports:
        if rep.get("check_type") != "terraform_json":
            raise CheckovError("unexpected checkov report type %r" % rep.get("check_type"))
        for key in summary:
            summary[key] += int(rep["summary"].get(key, 0))
        for bucket, target in (("failed_checks", failed), ("passed_checks", passed)):
            for item in rep["results"].get(bucket, []):
                stack = Path(item["file_path"]).parent.name
                address = _addresses(stacks.get(stack, {})).get(item["resource"], item["resource"])
                target.append(Result(item["check_id"], item.get("check_name", ""), stack, address))
    if summary["parsing_errors"]:
        raise CheckovError("checkov could not parse %d file(s)" % summary["parsing_errors"])
    return summary, failed, passed


def evaluate(failed: list[Result], entries: list[Entry]) -> tuple[list[Result], list[Result], list[str]]:
    """(allowed failures, new failures, stale entries)."""
    allowed: list[Result] = []
    new: list[Result] = []
    for result in failed:
        entry = next((e for e in entries if e.matches(result)), None)
        if entry is None:
            new.append(result)
        else:
            entry.matched.add(result.stack)
            allowed.append(result)
    stale: list[str] = []
    for entry in entries:
        if not entry.matched:
            stale.append("%s matches no failed check any more; remove it" % entry.describe())
        elif entry.stacks and set(entry.stacks) - entry.matched:
            stale.append("%s no longer fails in %s; remove those stacks from the entry"
                         % (entry.describe(), ", ".join(sorted(set(entry.stacks) - entry.matched))))  # fmt: skip
    return allowed, new, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="checkov over the synthesized stacks, against the allow-list.")
    parser.add_argument("out", type=Path, help="synthesized output (cdktf.out)")
    parser.add_argument("--allowlist", type=Path, default=ALLOWLIST)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        entries = load_allowlist(args.allowlist)
        summary, failed, passed = run_checkov(args.out)
    except CheckovError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    allowed, new, stale = evaluate(failed, entries)
    stacks = sorted({r.stack for r in failed + passed})
    result = {
        "summary": summary,
        "stacks": stacks,
        "allowlist_entries": len(entries),
        "allowed": [r.__dict__ for r in allowed],
        "new_failures": [r.__dict__ for r in new],
        "stale_entries": stale,
    }
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        for r in new:
            print("NEW FAILURE: %s %s on %s (%s)" % (r.stack, r.check_id, r.resource, r.check_name))
        for line in stale:
            print("STALE ALLOW-LIST ENTRY: %s" % line)
        for e in entries:
            print("allowed: %s (%d stack(s)): %s" % (e.describe(), len(e.matched), e.reason))
        print("checkov: %d passed, %d failed (%d allow-listed, %d new), %d skipped, across %d stacks; %d allow-list"
              " entries (max %d), %d stale"
              % (summary["passed"], summary["failed"], len(allowed), len(new), summary["skipped"],
                 len(stacks), len(entries), MAX_ENTRIES, len(stale)))  # fmt: skip
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
