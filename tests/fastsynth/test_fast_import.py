"""The synth accelerator's import paths (fastsynth/_install.py, fastsynth/_jsii_preload.cjs).

Correctness, not speed (speed is `make bench-synth`): the synthesized tree is byte-identical
with and without the fast paths, both make the same kernel calls, each fast path is really
active when enabled and really off when disabled, and every unexpected layout falls back to
the normal import.
"""

from __future__ import annotations

import dataclasses
import filecmp
import importlib.machinery
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from fastsynth import _install

ROOT = Path(__file__).resolve().parents[2]
TRACE_LINE = "[cdktf-fast-import] @cdktf/provider-aws: lib/lazy-index.js"


def _provider_dir() -> Path:
    spec = importlib.machinery.PathFinder.find_spec(_install.PROVIDER_PACKAGE)
    assert spec is not None and spec.origin is not None, "cdktf_cdktf_provider_aws is not installed"
    return Path(spec.origin).parent


# --------------------------------------------------------------- name -> module map


def test_namespace_conversion_matches_every_installed_submodule() -> None:
    """jsii_namespace() is what jsii uses to find a submodule; check it against each jsii_type."""
    pattern = re.compile(r'jsii_type="@cdktf/provider-aws\.([A-Za-z0-9]+)\.')
    checked, wrong = 0, []
    for init in sorted(_provider_dir().glob("[a-z]*/__init__.py")):
        text = ""
        with init.open(encoding="utf-8") as fh:
            while (chunk := fh.read(16384)) and not (match := pattern.search(text := text + chunk)):
                pass
        assert match is not None, "%s has no jsii_type" % init
        name = init.parent.name
        checked += 1
        if _install.jsii_namespace(name) != match.group(1):
            wrong.append((name, _install.jsii_namespace(name), match.group(1)))
    assert checked > 2000
    assert wrong == []


@pytest.mark.parametrize(
    ("python_name", "jsii_name"),
    [("vpc", "vpc"), ("alb_listener", "albListener"), ("wafv2_web_acl", "wafv2WebAcl"), ("s3_bucket", "s3Bucket")],
)
def test_jsii_namespace_examples(python_name: str, jsii_name: str) -> None:
    assert _install.jsii_namespace(python_name) == jsii_name


# ------------------------------------------------------------- Python-side fallbacks


def test_installed_provider_layout_allows_the_lazy_import() -> None:
    """If a provider upgrade changes the generated __init__, this fails (the app still works, eagerly)."""
    pkg = _provider_dir()
    plan, reason = _install.plan_from_sources(
        str(pkg / "__init__.py"),
        [str(pkg)],
        (pkg / "__init__.py").read_text(encoding="utf-8"),
        (pkg / "_jsii" / "__init__.py").read_text(encoding="utf-8"),
        {p.name for p in pkg.iterdir() if p.is_dir()},
    )
    assert plan is not None, reason
    assert plan.assembly == "@cdktf/provider-aws"
    assert {"vpc", "provider", "ecs_service", "lb_listener"} <= plan.submodules
    assert len(plan.submodules) > 2000


GOOD_INIT = textwrap.dedent(
    """\
    import jsii
    import publication
    from ._jsii import *
    __all__ = [
        "vpc",
        "subnet",
    ]
    publication.publish()

    # Loading modules to ensure their types are registered with the jsii runtime library
    from . import vpc
    from . import subnet
    """
)
GOOD_JSII = 'import jsii\n__jsii_assembly__ = jsii.JSIIAssembly.load(\n    "@cdktf/provider-aws", "20.1.0", __name__[0:-6], "x.tgz"\n)\n'


def _plan(
    init: str = GOOD_INIT, jsii_src: str = GOOD_JSII, dirs: frozenset[str] = frozenset({"vpc", "subnet", "_jsii"})
) -> tuple[Any, str]:
    return _install.plan_from_sources("/pkg/__init__.py", ["/pkg"], init, jsii_src, set(dirs))


def test_expected_layout_gives_a_lazy_plan_without_the_submodule_imports() -> None:
    plan, reason = _plan()
    assert reason == ""
    assert plan.submodules == {"vpc", "subnet"}
    assert plan.assembly == "@cdktf/provider-aws"
    assert "from . import" not in plan.head_source
    assert plan.head_source.rstrip().endswith("publication.publish()")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda s: s.replace("# Loading modules", "# loading modules"), "no single submodule-import marker"),
        (lambda s: s + "print('side effect')\n", "unexpected statement after the submodule imports"),
        (lambda s: s.replace("from . import subnet", "from .subnet import Subnet"), "unexpected statement"),
        (lambda s: s.replace("publication.publish()", "pass"), "lacks 'publication.publish\\(\\)'"),
        (lambda s: s.replace("from ._jsii import *", ""), "lacks 'from ._jsii import \\*'"),
        (lambda s: s.split("from . import")[0], "imports no submodules"),
        (
            lambda s: s.replace("from . import subnet", "from . import subnet\nfrom . import gone"),
            "directories missing: gone",
        ),
    ],
)
def test_unexpected_init_layout_falls_back_to_eager(change: Any, reason: str) -> None:
    plan, why = _plan(init=change(GOOD_INIT))
    assert plan is None
    assert re.search(reason, why), why


def test_init_without_assembly_load_falls_back_to_eager() -> None:
    plan, why = _plan(jsii_src="import jsii\n")
    assert plan is None
    assert "does not load a jsii assembly" in why


def test_install_is_idempotent_and_reports_what_it_did() -> None:
    first = _install.install(enabled=False)
    assert _install.install(enabled=True) is first
    assert _install.status() is first
    assert isinstance(first.describe(), str) and first.describe()


# ------------------------------------------------------------------ Node-side preload

EAGER_JS = (
    '"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n'
    "exports.subnet = exports.vpc = void 0;\n"
    'exports.vpc = require("./vpc");\nexports.subnet = require("./subnet");\n'
    "//# sourceMappingURL=data:application/json;base64,eyJ2ZXJzaW9uIjozfQ==\n"
)
LAZY_JS = (
    '"use strict";\n// generated by cdktf get\n'
    "Object.defineProperty(exports, 'vpc', { get: function () { return require('./vpc'); } });\n"
    "Object.defineProperty(exports, 'subnet', { get: function () { return require('./subnet'); } });\n"
)

PRELOAD_CASES: dict[str, dict[str, Any]] = {
    "matching": {},
    "other package": {"name": "@cdktf/provider-google"},
    "no lazy index": {"lazy": None},
    "different export": {"lazy": LAZY_JS.replace("'./subnet'", "'./subnet-v2'")},
    "missing export": {"lazy": LAZY_JS.split("Object.defineProperty(exports, 'subnet'")[0]},
    "extra require in index": {"index": EAGER_JS + 'require("./side-effect");\n'},
    "other main": {"main": "lib/main.js"},
}


@pytest.fixture(scope="module")
def preload_decisions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """decide() of the preload on one synthetic package per case, in a single node run."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found on PATH (the jsii kernel and its preload need Node.js)")
    base = tmp_path_factory.mktemp("preload")
    paths = {}
    for case, spec in PRELOAD_CASES.items():
        pkg = base / case.replace(" ", "-") / "node_modules" / "@cdktf" / "provider-aws"
        (pkg / "lib").mkdir(parents=True)
        manifest = {"name": spec.get("name", "@cdktf/provider-aws"), "main": spec.get("main", "lib/index.js")}
        (pkg / "package.json").write_text(json.dumps(manifest))
        (pkg / "lib" / "index.js").write_text(spec.get("index", EAGER_JS))
        if spec.get("lazy", LAZY_JS) is not None:
            (pkg / "lib" / "lazy-index.js").write_text(spec.get("lazy", LAZY_JS))
        paths[case] = str(pkg / "lib" / "index.js")
    script = (
        "const {decide} = require(process.argv[1]); const cases = JSON.parse(process.argv[2]);"
        "const out = {}; for (const [k, p] of Object.entries(cases)) out[k] = decide(p);"
        "console.log(JSON.stringify(out));"
    )
    proc = subprocess.run(
        [node, "-e", script, str(_install.PRELOAD_FILE), json.dumps(paths)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    decisions: dict[str, list[Any]] = json.loads(proc.stdout)
    return decisions


def test_preload_uses_lazy_index_when_it_matches_index(preload_decisions: dict[str, list[Any]]) -> None:
    replacement, reason = preload_decisions["matching"]
    assert replacement is not None and replacement.endswith(os.path.join("lib", "lazy-index.js"))
    assert reason == "2 submodules, loaded on first use"


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("other package", "package.json is @cdktf/provider-google"),
        ("no lazy index", "lib/lazy-index.js is missing"),
        ("different export", "does not export the same submodules"),
        ("missing export", "does not export the same submodules"),
        ("extra require in index", "unexpected layout"),
        ("other main", "with main lib/main.js"),
    ],
)
def test_preload_keeps_index_js_on_unexpected_layout(
    preload_decisions: dict[str, list[Any]], case: str, reason: str
) -> None:
    replacement, why = preload_decisions[case]
    assert replacement is None
    assert reason in why


# ------------------------------------- end to end: main.py with and without the fast paths

# Runs main.py as `python main.py --out DIR` would, counting its kernel calls, then reports
# what was imported and checks jsii can resolve types of submodules nobody imported (as for
# objects made in JS).
DRIVER = textwrap.dedent(
    """\
    import dataclasses, json, runpy, sys
    from fastsynth import kernel_calls
    calls = kernel_calls.count()  # imports jsii only; main.py's install() still comes first
    sys.argv = ["main.py", "--out", sys.argv[1]]
    code = 0
    try:
        runpy.run_path("main.py", run_name="__main__")
    except SystemExit as exc:
        code = exc.code or 0
    from jsii import _reference_map as refmap
    from fastsynth import _install as fp
    # Services this project will not use, so the fast run has not imported them.
    probes = {"@cdktf/provider-aws.xrayGroup.XrayGroup": "xray_group",
              "@cdktf/provider-aws.medialiveChannel.MedialiveChannelEncoderSettings": "medialive_channel",
              "@cdktf/provider-aws.gameliftFleet.GameliftFleet": "gamelift_fleet"}
    loaded = fp.loaded_submodules()
    before = {fqn: mod in loaded for fqn, mod in probes.items()}
    for fqn in probes:
        if fqn not in refmap._types and fqn not in refmap._data_types:
            refmap._try_import_type_module(fqn)
    import cdktf_cdktf_provider_aws as pkg
    report = {
        "status": dataclasses.asdict(fp.status()),
        "loaded": len(loaded),
        "probe_loaded_before": before,
        "probe_registered_after": {f: f in refmap._types or f in refmap._data_types for f in probes},
        "attribute_access": pkg.ssm_parameter.SsmParameter.__name__,
        "loads_queued": fp._loads.thread is not None,  # the thread starts with the first queued load
        "kernel_calls": calls.as_dict(),
    }
    print("FAST_IMPORT_REPORT " + json.dumps(report))
    sys.exit(code)
    """
)


@dataclasses.dataclass
class SynthRun:
    out: Path
    report: dict[str, Any]
    stderr: str


@pytest.fixture(scope="module")
def synth_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthRun]:
    """main.py synthesized once with the fast paths and once without, concurrently."""
    if shutil.which("node") is None:
        pytest.skip("node not found on PATH (the jsii kernel needs Node.js)")
    base = tmp_path_factory.mktemp("fast-import")
    procs = {}
    for variant, flag in (("eager", "0"), ("fast", "1")):
        env = dict(os.environ, CDKTF_FAST_IMPORT=flag, CDKTF_FAST_IMPORT_TRACE="1")
        env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
        env.pop("NODE_OPTIONS", None)
        procs[variant] = subprocess.Popen(
            [sys.executable, "-c", DRIVER, str(base / variant)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    runs = {}
    for variant, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, "%s synth failed:\n%s" % (variant, stderr[-4000:])
        line = next(ln for ln in stdout.splitlines() if ln.startswith("FAST_IMPORT_REPORT "))
        runs[variant] = SynthRun(base / variant, json.loads(line.split(" ", 1)[1]), stderr)
    return runs


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_synth_output_is_byte_identical_with_and_without_fast_import(synth_runs: dict[str, SynthRun]) -> None:
    fast, eager = synth_runs["fast"].out, synth_runs["eager"].out
    files = _files(eager)
    assert any(f.endswith("cdk.tf.json") for f in files), "main.py synthesized no stack"
    assert _files(fast) == files
    match, mismatch, errors = filecmp.cmpfiles(eager, fast, files, shallow=False)
    assert mismatch == [] and errors == []
    assert len(match) == len(files)


def test_fast_run_loaded_few_python_submodules_and_the_lazy_js_entry(synth_runs: dict[str, SynthRun]) -> None:
    run = synth_runs["fast"]
    status = run.report["status"]
    assert status["enabled"] and status["python_lazy"] and status["node_lazy"] and status["fast_exit"], status
    # main.py's defaults: one kernel process, bindings without their debug-only type checks.
    assert status["direct_kernel"] and not status["type_checks"] and status["async_loads"], status
    assert run.report["loads_queued"], "no assembly load was queued: the _jsii layout changed?"
    bundled = _install.bundled_node(ROOT / "tools" / "kernel-node")
    assert status["kernel_node"] == (str(bundled) if bundled is not None else "node on PATH"), status
    assert "[cdktf-fast-import] kernel: one process (no relay)" in run.stderr
    assert 0 < run.report["loaded"] < 200
    assert TRACE_LINE in run.stderr


def test_eager_run_is_a_plain_eager_import(synth_runs: dict[str, SynthRun]) -> None:
    run = synth_runs["eager"]
    assert run.report["status"]["enabled"] is False
    assert run.report["loaded"] > 2000
    assert "[cdktf-fast-import]" not in run.stderr  # the preload was not loaded at all


def test_jsii_resolves_types_of_submodules_nobody_imported(synth_runs: dict[str, SynthRun]) -> None:
    report = synth_runs["fast"].report
    assert not any(report["probe_loaded_before"].values()), report["probe_loaded_before"]
    assert all(report["probe_registered_after"].values()), report["probe_registered_after"]
    assert report["attribute_access"] == "SsmParameter"


# ------------------------------------------- kernel calls: measured, the same on both paths
# (Replaces the former per-construct budget in tests/test_kernel_calls.py: how often a
# construct reads an attribute is the construct's business; `make bench-synth` prints the
# counts. What the accelerator promises is that it never changes which calls are made.)


def test_kernel_calls_are_counted_for_a_synth_of_every_stack(synth_runs: dict[str, SynthRun]) -> None:
    # The counts mean something only if the build really ran through every stack.
    assert len([p for p in (synth_runs["fast"].out / "stacks").iterdir() if p.is_dir()]) == 8
    counted = synth_runs["fast"].report["kernel_calls"]
    assert counted["calls"]["create"] > 100
    assert counted["calls"]["get"] > 0
    assert counted["total"] == sum(counted["calls"].values())


def test_fast_and_eager_synths_make_the_same_kernel_calls(synth_runs: dict[str, SynthRun]) -> None:
    """The fast paths make each round trip cheaper; the app's requests are the same ones."""
    assert synth_runs["fast"].report["kernel_calls"] == synth_runs["eager"].report["kernel_calls"]
