"""Run checkov over every synthesized stack and hold the result against the allow-list.

    .tools-venv/bin/python security/run_checkov.py cdktf.out [--json]

Runs ``checkov --framework terraform_json`` once over ``<out>/stacks`` (offline:
``--skip-download``), then:

* every failed check must match an entry of ``security/checkov_allowlist.toml`` (check id,
  resource address, optionally the stacks it applies to), otherwise it is a *new failure*;
* every entry must still match a failure in each stack it names (or in some stack, when it
  names none), otherwise it is *stale* and must be removed;
* the allow-list holds at most :data:`MAX_ENTRIES` entries, each with a one-line reason.

A built-in check whose list of resource types is known to be incomplete is not allow-listed but
*widened* (:data:`WIDENED`): the run skips it and runs, under its own id, the same definition
read from the installed checkov with the missing types added, so every resource the built-in
check covers is still covered. The widening is refused (exit 2) once checkov's own definition
holds the added types (remove the entry then) or no longer has the expected shape.

Exit 0 when there is no new failure and no stale entry, 1 otherwise, 2 when checkov or the
allow-list cannot be read. Runs in the scanner venv; imports nothing from the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ALLOWLIST = HERE / "checkov_allowlist.toml"
MAX_ENTRIES = 5

#: Built-in graph checks run widened: id -> (the widened check's id, resource types to add, why).
WIDENED: dict[str, tuple[str, tuple[str, ...], str]] = {
    "CKV2_AWS_5": (
        "CKV2_PRJ_5",
        ("aws_scheduler_schedule",),
        "a job's task security group is used through aws_scheduler_schedule (ecs_parameters.network_configuration),"
        " a type missing from the connected types of SGAttachedToResource.json in checkov 3.3.30",
    ),
}


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


def builtin_graph_check(check_id: str) -> dict[str, Any]:
    """The definition of a built-in terraform graph check, read from the installed checkov."""
    import checkov  # the scanner venv's

    root = Path(checkov.__file__).resolve().parent / "terraform" / "checks" / "graph_checks"
    for path in sorted(root.rglob("*.json")):
        document = json.loads(path.read_text())
        if document.get("metadata", {}).get("id") == check_id:
            return dict(document)
    raise CheckovError("checkov %s has no graph check %s under %s" % (checkov_version(), check_id, root))


def checkov_version() -> str:
    """The installed checkov's version, or ``(not installed)`` outside the scanner venv."""
    try:
        from checkov.version import version
    except ImportError:
        return "(not installed)"
    return str(version)


def widened_check(check_id: str, document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (a built-in graph check) under the widened id, its connection list holding the added types."""
    new_id, added, _ = WIDENED[check_id]
    connections = [c for c in document.get("definition", {}).get("and", []) if c.get("cond_type") == "connection"]
    if len(connections) != 1 or not isinstance(connections[0].get("connected_resource_types"), list):
        raise CheckovError(
            "checkov %s: %s no longer has exactly one connection condition with connected_resource_types; update"
            " WIDENED in %s" % (checkov_version(), check_id, Path(__file__).name)
        )
    known = connections[0]["connected_resource_types"]
    if set(added) <= set(known):
        raise CheckovError(
            "checkov %s: %s now connects %s itself; remove its WIDENED entry from %s"
            % (checkov_version(), check_id, ", ".join(added), Path(__file__).name)
        )
    widened: dict[str, Any] = json.loads(json.dumps(document))
    widened["metadata"]["id"] = new_id
    widened["metadata"]["name"] = "%s (%s widened with %s)" % (document["metadata"]["name"], check_id, ", ".join(added))
    for condition in widened["definition"]["and"]:
        if condition.get("cond_type") == "connection":
            condition["connected_resource_types"] = known + [t for t in added if t not in known]
    return widened


def write_widened_checks(directory: Path) -> list[str]:
    """Write every :data:`WIDENED` check into ``directory``; returns the built-in ids to skip."""
    for check_id in WIDENED:
        document = widened_check(check_id, builtin_graph_check(check_id))
        (directory / ("%s.json" % document["metadata"]["id"])).write_text(json.dumps(document, indent=1))
    return sorted(WIDENED)


def checkov_command(stacks_dir: Path, checks_dir: Path | None = None, skip: list[str] | None = None) -> list[str]:
    exe = Path(sys.executable).with_name("checkov")
    command = [str(exe), "-d", str(stacks_dir), "--framework", "terraform_json", "-o", "json",
               "--compact", "--skip-download"]  # fmt: skip
    if checks_dir is not None:
        command += ["--external-checks-dir", str(checks_dir)]
    if skip:
        command += ["--skip-check", ",".join(skip)]
    return command


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
    with tempfile.TemporaryDirectory(prefix="checkov-widened-") as checks_dir:
        skip = write_widened_checks(Path(checks_dir))
        command = checkov_command(stacks_dir, Path(checks_dir), skip)
        proc = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
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
        "widened": {k: {"runs_as": v[0], "added": list(v[1])} for k, v in WIDENED.items()},
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
        for check_id, (new_id, added, why) in sorted(WIDENED.items()):
            print("widened: %s runs as %s with %s added: %s" % (check_id, new_id, ", ".join(added), why))
        print("checkov: %d passed, %d failed (%d allow-listed, %d new), %d skipped, across %d stacks; %d allow-list"
              " entries (max %d), %d stale"
              % (summary["passed"], summary["failed"], len(allowed), len(new), summary["skipped"],
                 len(stacks), len(entries), MAX_ENTRIES, len(stale)))  # fmt: skip
    return 1 if new or stale else 0


if __name__ == "__main__":
    sys.exit(main())
