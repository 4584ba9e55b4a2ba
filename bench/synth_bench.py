"""Benchmark: synthesize every environment with and without the synth accelerator (not a test).

    .venv/bin/python bench/synth_bench.py [--app main.py] [--repeat 1] [--no-warmup]

Runs ``python main.py --out <tmp>`` in a subprocess twice (or ``--repeat`` times each):

* ``fast``  - ``CDKTF_FAST_IMPORT=1``: the project's import path (the ``fastsynth`` package:
  lazy Python submodules, the provider's lib/lazy-index.js in the jsii kernel, the kernel in
  one Node process instead of jsii's relay + kernel, bindings compiled without their
  debug-only type checks, gc.freeze at exit);
* ``eager`` - ``CDKTF_FAST_IMPORT=0``: ``install(enabled=False)`` touches nothing, so
  ``cdktf_cdktf_provider_aws`` is imported eagerly and the kernel loads lib/index.js.

For each it prints the median wall time of the whole process (start to exit, including
interpreter and kernel shutdown) and the best one (this shared machine's speed varies by
+-20% between runs), the peak RSS summed over the process tree (Python, the
jsii runtime wrapper and the kernel; sampled every 10 ms from /proc), and the largest
single-process RSS and the CPU time of the whole tree (both from wait4, which covers the
reaped node children; CPU time is the figure least disturbed by other load on the machine);
then the ratios.
It checks that the output trees are byte-identical and exits 1 if not. A first, unmeasured
fast run warms the jsii package cache (the first run ever unpacks ~450 MB) and counts the
synth's jsii kernel calls by kind (``fastsynth.kernel_calls``: a measurement printed under
the table, not a limit).
Target (fastsynth/README.md): fast >= 10x quicker than eager and <= 1.2 s.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 10.0
TARGET_SECONDS = 1.2
PAGE = os.sysconf("SC_PAGE_SIZE")
COUNTS_PREFIX = "FASTSYNTH_KERNEL_CALLS "

# Runs the app as `python <app> --out DIR` does, with its jsii kernel calls counted, and
# prints the counts on the last stdout line. The counter comes from the app's own checkout,
# else from this one's (it only wraps jsii's call functions, so any app can be counted).
_COUNT_DRIVER = """\
import json, runpy, sys
sys.path.append(sys.argv[1])
from fastsynth import kernel_calls
calls = kernel_calls.count()
app, sys.argv = sys.argv[2], sys.argv[2:]
code = 0
try:
    runpy.run_path(app, run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
sys.stdout.flush()
print("%s" + json.dumps(calls.as_dict()))
sys.exit(code)
""" % COUNTS_PREFIX


@dataclass(frozen=True)
class Run:
    wall_s: float
    tree_peak_mib: float  # peak of the summed RSS of the process tree (sampled)
    max_proc_mib: float  # largest single process (wait4 ru_maxrss)
    cpu_s: float  # user + system CPU of the whole tree (wait4 covers the reaped node children)
    out_dir: Path
    kernel_calls: dict[str, object] | None = None  # counted runs only (fastsynth.kernel_calls.as_dict)


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, tid)) as fh:
                kids += [int(k) for k in fh.read().split()]
    except OSError:
        pass
    return kids


def _tree_rss_bytes(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open("/proc/%d/statm" % pid) as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            continue
        stack += _children(pid)
    return total


def run_once(app: Path, fast: bool, out_dir: Path, *, count: bool = False) -> Run:
    env = dict(os.environ)
    env["CDKTF_FAST_IMPORT"] = "1" if fast else "0"
    env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    peak = [0]
    start = time.perf_counter()
    command = [sys.executable, str(app), "--out", str(out_dir)]
    if count:
        command[1:2] = ["-c", _COUNT_DRIVER, str(ROOT), str(app)]
    proc = subprocess.Popen(
        command,
        cwd=str(app.parent),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_bytes(proc.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    # Read the pipes on threads so a chatty child cannot block; reap with wait4 for rusage.
    captured: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: captured.__setitem__(n, s.read()), daemon=True)
        for name, stream in (("stdout", proc.stdout), ("stderr", proc.stderr))
    ]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    if proc.returncode != 0:
        sys.stderr.write(captured.get("stderr", b"").decode(errors="replace"))
        raise SystemExit("%s run of %s failed with exit code %d" % ("fast" if fast else "eager", app, proc.returncode))
    counted = None
    if count:
        lines = captured.get("stdout", b"").decode(errors="replace").splitlines()
        counted = json.loads(lines[-1][len(COUNTS_PREFIX) :]) if lines and lines[-1].startswith(COUNTS_PREFIX) else None
    return Run(wall, peak[0] / 2**20, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, out_dir, counted)


def _tree_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def differences(a: Path, b: Path) -> tuple[list[str], int]:
    """Relative paths that differ between two output trees (missing on one side or not byte-equal)."""
    files_a, files_b = _tree_files(a), _tree_files(b)
    only = sorted(set(files_a) ^ set(files_b))
    common = sorted(set(files_a) & set(files_b))
    _, mismatch, errors = filecmp.cmpfiles(a, b, common, shallow=False)
    return only + mismatch + errors, len(files_a)


def kernel_calls_line(run: Run | None) -> str:
    """The counted warm-up run's jsii kernel calls, e.g. ``kernel calls per synth: 748 (create 454, ...)``."""
    if run is None:
        return "kernel calls per synth: not counted (--no-warmup)"
    if run.kernel_calls is None:
        return "kernel calls per synth: not counted (the counting driver printed no counts)"
    calls = run.kernel_calls.get("calls")
    kinds = ", ".join("%s %s" % (k, n) for k, n in calls.items() if n) if isinstance(calls, dict) else "?"
    return "kernel calls per synth: %s (%s); attribute reads repeated on one object: %s" % (
        run.kernel_calls.get("total"),
        kinds,
        run.kernel_calls.get("repeated_reads"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app", type=Path, default=ROOT / "main.py", help="synth entry point (default: main.py)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per variant; the median is shown (default 1)")
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured warm-up run")
    args = parser.parse_args(argv)
    app = args.app.resolve()
    if not app.is_file():
        parser.error("--app=%s does not exist" % args.app)
    if args.repeat < 1:
        parser.error("--repeat=%d is not valid; allowed: 1 or more" % args.repeat)

    with tempfile.TemporaryDirectory(prefix="synth-bench-") as tmp:
        base = Path(tmp)
        warmup = None if args.no_warmup else run_once(app, True, base / "warmup", count=True)
        runs: dict[str, list[Run]] = {"fast": [], "eager": []}
        for i in range(args.repeat):
            for name in ("fast", "eager"):
                runs[name].append(run_once(app, name == "fast", base / ("%s-%d" % (name, i))))
        diff, nfiles = differences(runs["fast"][0].out_dir, runs["eager"][0].out_dir)
        if warmup is not None:
            diff += differences(runs["fast"][0].out_dir, warmup.out_dir)[0]

    def med(name: str, attr: str) -> float:
        return float(statistics.median(getattr(r, attr) for r in runs[name]))

    fast_s, eager_s = med("fast", "wall_s"), med("eager", "wall_s")
    print("synth of all environments (%s), %d run(s) per variant, warm jsii cache" % (app.name, args.repeat))
    print(
        "%-36s %9s %9s %18s %18s %10s" % ("variant", "wall", "best", "peak RSS (tree)", "max process RSS", "CPU")
    )
    for name, label in (("fast", "fast import (CDKTF_FAST_IMPORT=1)"), ("eager", "eager import (CDKTF_FAST_IMPORT=0)")):
        best = min(r.wall_s for r in runs[name])
        print(
            "%-36s %7.2f s %7.2f s %14.0f MiB %14.0f MiB %8.2f s"
            % (label, med(name, "wall_s"), best, med(name, "tree_peak_mib"), med(name, "max_proc_mib"), med(name, "cpu_s"))
        )
    ratio = eager_s / fast_s
    mem_ratio = med("eager", "tree_peak_mib") / max(med("fast", "tree_peak_mib"), 1.0)
    cpu_ratio = med("eager", "cpu_s") / med("fast", "cpu_s")
    mem_single = med("eager", "max_proc_mib") / med("fast", "max_proc_mib")
    print(
        "%-36s %8.1fx %9s %17.1fx %17.1fx %9.1fx" % ("ratio (eager / fast)", ratio, "", mem_ratio, mem_single, cpu_ratio)
    )
    met = ratio >= TARGET_RATIO and fast_s <= TARGET_SECONDS
    print(
        "target: >= %.0fx and <= %.1f s (medians) -> %s" % (TARGET_RATIO, TARGET_SECONDS, "met" if met else "NOT met")
    )
    print(kernel_calls_line(warmup))
    print("outputs byte-identical: %s (%d files)" % ("NO" if diff else "yes", nfiles))
    for path in diff:
        print("  differs: %s" % path)
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
