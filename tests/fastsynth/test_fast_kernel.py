"""The kernel without jsii's relay (fastsynth/_jsii_direct.cjs) and bindings compiled without
their debug-only type checks (``_OptimizedSourceLoader`` in fastsynth/_install.py).

Correctness only (speed is `make bench`): the direct runtime speaks the same protocol on the
same pipes as jsii's relay, wraps console output the same way and refuses to start where its
assumptions do not hold; the optimized loader drops exactly what ``python -O`` drops, caches
in the file ``python -O`` uses, and is not used where that cache cannot work.
"""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from fastsynth import _install
from tests.conftest import run_python_json

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for jsii's lib/program.js that does what the kernel does with its channel:
# say hello on fd 3, answer each request line read from fd 3, print to the console.
FAKE_PROGRAM = textwrap.dedent(
    """\
    const fs = require('fs');
    fs.writeSync(3, JSON.stringify({hello: 'fake@1'}) + '\\n');
    console.log('a console.log line');
    console.error('a console.error line');
    let buffered = '';
    const chunk = Buffer.alloc(65536);
    for (;;) {
      const n = fs.readSync(3, chunk, 0, chunk.length, null);
      if (n === 0) break;
      buffered += chunk.subarray(0, n).toString();
      let nl;
      while ((nl = buffered.indexOf('\\n')) >= 0) {
        const request = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        if (request.exit !== undefined) process.exit(0);
        fs.writeSync(3, JSON.stringify({ok: {echo: request.ping}}) + '\\n');
      }
    }
    """
)


# A stand-in for jsii's relay: says which entry ran.
FAKE_RELAY = "require('fs').writeSync(1, JSON.stringify({hello: 'relay'}) + '\\n');\n"


@pytest.fixture(scope="module")
def node() -> str:
    path = shutil.which("node")
    if path is None:
        pytest.skip("node not found on PATH (the jsii kernel needs Node.js)")
    return path


def _fake_runtime(tmp_path: Path, *, program: bool = True) -> Path:
    """A runtime directory laid out like the one fastsynth copies out of jsii."""
    root = tmp_path / "runtime"
    (root / "lib").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "bin" / "jsii-runtime.js").write_text(FAKE_RELAY)
    if program:
        (root / "lib" / "program.js").write_text(FAKE_PROGRAM)
    return root


def _run_direct(node: str, runtime: Path, *, stdin_file: Path | None = None, requests: bytes = b"") -> Any:
    env = {**os.environ, "CDKTF_JSII_RUNTIME_DIR": str(runtime), "CDKTF_FAST_IMPORT_TRACE": "1"}
    env.pop("NODE_OPTIONS", None)
    command = [node, str(_install.DIRECT_RUNTIME_FILE)]
    if stdin_file is None:
        return subprocess.run(command, input=requests, capture_output=True, env=env, timeout=60)
    with stdin_file.open("rb") as handle:
        return subprocess.run(command, stdin=handle, capture_output=True, env=env, timeout=60)


def _decode_console(stderr: bytes) -> list[tuple[str, str]]:
    lines = []
    for raw in stderr.splitlines():
        record = json.loads(raw)  # every stderr line is a JSON record, as from jsii's relay
        ((stream, data),) = record.items()
        lines.append((stream, base64.b64decode(data).decode()))
    return lines


def test_direct_runtime_routes_the_kernel_channel_through_stdin_and_stdout(node: str, tmp_path: Path) -> None:
    proc = _run_direct(node, _fake_runtime(tmp_path), requests=b'{"ping": 1}\n{"ping": "two"}\n{"exit": 0}\n')
    assert proc.returncode == 0, proc.stderr.decode()
    # stdout carries the protocol and nothing else: console output never lands there.
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [
        {"hello": "fake@1"},
        {"ok": {"echo": 1}},
        {"ok": {"echo": "two"}},
    ]
    assert _decode_console(proc.stderr) == [
        ("stderr", "[cdktf-fast-import] kernel: one process (no relay)\n"),
        ("stdout", "a console.log line\n"),
        ("stderr", "a console.error line\n"),
    ]


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("no program", "CDKTF_JSII_RUNTIME_DIR must hold jsii's lib/program.js"),
        ("stdin is a file", "stdin and stdout are not both pipes"),
    ],
)
def test_direct_runtime_starts_jsiis_relay_where_its_conditions_do_not_hold(
    node: str, tmp_path: Path, case: str, reason: str
) -> None:
    runtime = _fake_runtime(tmp_path, program=case != "no program")
    requests = tmp_path / "requests.txt"
    requests.write_text('{"exit": 0}\n')
    proc = _run_direct(node, runtime, stdin_file=requests if case == "stdin is a file" else None)
    assert proc.returncode == 0, proc.stderr.decode()
    assert [json.loads(line) for line in proc.stdout.splitlines()] == [{"hello": "relay"}]
    ((stream, text),) = _decode_console(proc.stderr)
    assert stream == "stderr" and text.startswith("[cdktf-fast-import] kernel: jsii relay (")
    assert reason in text


# A kernel start that fails with the fast paths: a file Node cannot run in its place.
BROKEN_KERNEL_FILES = {
    "preload": ("PRELOAD_FILE", "broken-preload.cjs", "this is not javascript (\n"),
    "direct runtime": ("DIRECT_RUNTIME_FILE", "_jsii_direct.cjs", "throw new Error('broken on purpose');\n"),
}
BROKEN_KERNEL_SCRIPT = textwrap.dedent(
    """\
    import json, sys
    from pathlib import Path
    from fastsynth import _install
    setattr(_install, sys.argv[1], Path(sys.argv[2]))
    _install.install(enabled=True)
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider
    app = App(outdir=sys.argv[3])
    AwsProvider(TerraformStack(app, "s"), "aws", region="eu-west-1")
    app.synth()
    st = _install.status()
    print(json.dumps({"node_lazy": st.node_lazy, "node_reason": st.node_reason, "direct": st.direct_kernel,
                      "direct_reason": st.direct_kernel_reason, "python_lazy": st.python_lazy}))
    """
)


@pytest.mark.parametrize("broken", sorted(BROKEN_KERNEL_FILES))
def test_kernel_that_fails_to_start_with_the_fast_paths_falls_back_to_a_plain_kernel(
    node: str, tmp_path: Path, broken: str
) -> None:
    """Node crashes on the preload or the direct runtime: status says so, the next import
    starts a plain kernel (no preload, jsii's relay) and the synth still works."""
    attribute, name, text = BROKEN_KERNEL_FILES[broken]
    (tmp_path / name).write_text(text)
    report = run_python_json(BROKEN_KERNEL_SCRIPT, attribute, str(tmp_path / name), str(tmp_path / "out"))
    assert report["node_lazy"] is False and report["direct"] is False
    assert "kernel start with the fast paths failed" in report["node_reason"]
    assert "kernel start with the fast paths failed" in report["direct_reason"]
    assert report["python_lazy"] is True
    synthesized = json.loads((tmp_path / "out" / "stacks" / "s" / "cdk.tf.json").read_text())
    assert synthesized["provider"]["aws"] == [{"region": "eu-west-1"}]


# ------------------------------------------------------------ bindings without type checks

BINDING_SOURCE = textwrap.dedent(
    """\
    CALLS = []
    def check(value: "typing.Optional[NotDefinedAnywhere]") -> UndefinedToo:
        if __debug__:
            CALLS.append(value)
        assert value is not None, "value is required"
        return value
    """
)


def _load(path: Path, name: str) -> Any:
    loader = _install._OptimizedSourceLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_optimized_loader_drops_debug_blocks_asserts_and_annotation_evaluation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tmp_path / "binding_under_test.py"
    source.write_text(BINDING_SOURCE)
    module = _load(source, "binding_under_test")  # evaluating `UndefinedToo` would raise NameError
    assert module.check(None) is None  # no assert
    assert module.CALLS == []  # no `if __debug__:` block
    assert module.check.__annotations__ == {
        "value": "'typing.Optional[NotDefinedAnywhere]'",
        "return": "UndefinedToo",
    }
    cached = Path(importlib.util.cache_from_source(str(source), optimization="cdktffast"))
    assert cached.name == "binding_under_test.%s.opt-cdktffast.pyc" % sys.implementation.cache_tag
    data = cached.read_bytes()
    stat = source.stat()
    assert data[:4] == importlib.util.MAGIC_NUMBER
    assert int.from_bytes(data[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
    assert int.from_bytes(data[12:16], "little") == stat.st_size
    # Not python -O's cache file: that one would hold other bytecode (evaluated annotations).
    assert not Path(importlib.util.cache_from_source(str(source), optimization=1)).exists()
    # A second load reads the cache: a cache file with a marker constant wins over the source.
    marker = compile("CALLS = ['from the cache']\n", str(source), "exec")
    cached.write_bytes(data[:16] + marshal.dumps(marker))
    assert _load(source, "binding_under_test").CALLS == ["from the cache"]


def test_optimized_loader_recompiles_when_the_source_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    source = tmp_path / "binding_changes.py"
    source.write_text("VALUE = 1\n")
    assert _load(source, "binding_changes").VALUE == 1
    source.write_text("VALUE = 22\n")  # another size: the cached header no longer matches
    assert _load(source, "binding_changes").VALUE == 22


def test_optimized_loader_without_a_writable_cache_still_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    source = tmp_path / "binding_nocache.py"
    source.write_text(BINDING_SOURCE)
    assert _load(source, "binding_nocache").check(None) is None
    assert not Path(importlib.util.cache_from_source(str(source), optimization="cdktffast")).exists()


def test_binding_finder_handles_only_the_jsii_binding_packages() -> None:
    finder = _install._BindingFinder(None, optimize=True)
    spec = finder.find_spec("cdktf", None)
    assert spec is not None and isinstance(spec.loader, _install._OptimizedSourceLoader)
    for other in ("json", "pydantic", "cdktf_other", "jsii"):
        assert finder.find_spec(other, None) is None, other
    assert _install._BindingFinder(None, optimize=False).find_spec("cdktf", None) is None


def test_optimized_bindings_are_not_used_where_their_cache_cannot_work(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = importlib.machinery.PathFinder.find_spec("cdktf")
    assert spec is not None and spec.origin is not None
    cached = importlib.util.cache_from_source(spec.origin, optimization="cdktffast")
    real_isfile = os.path.isfile
    monkeypatch.setattr(os.path, "isfile", lambda p: False if p == cached else real_isfile(p))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    assert "sys.dont_write_bytecode is set" in _install._optimized_bindings_reason()
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert "cannot write the optimized bytecode cache" in _install._optimized_bindings_reason()


# --------------------------------------------------------------------------------- prewarm


def test_provider_submodules_in_finds_both_import_forms(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text(
        "from cdktf_cdktf_provider_aws.vpc import Vpc\n"
        "    from cdktf_cdktf_provider_aws.alb_listener import AlbListener\n"
        "import cdktf_cdktf_provider_aws.subnet as subnet\n"
        "# from cdktf_cdktf_provider_aws.commented import Nothing\n"
        "from cdktf import App\n"
        "from cdktf_cdktf_provider_aws import provider\n"
    )
    (tmp_path / "pkg" / "notes.txt").write_text("from cdktf_cdktf_provider_aws.not_python import X\n")
    single = tmp_path / "b.py"
    single.write_text("from cdktf_cdktf_provider_aws.vpc import Vpc\n")
    assert _install.provider_submodules_in([tmp_path / "pkg", single]) == ["alb_listener", "subnet", "vpc"]


def test_project_prewarm_list_names_real_provider_submodules() -> None:
    names = _install.provider_submodules_in([ROOT / "modules", ROOT / "stacks"])
    assert {"vpc", "ecs_service", "lb", "provider"} <= set(names)
    spec = importlib.machinery.PathFinder.find_spec(_install.PROVIDER_PACKAGE)
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    assert all((package / name / "__init__.py").is_file() for name in names)


# Loads the preload as the kernel would (argv[1] is the kernel), resolves the package once,
# then reports which submodules were evaluated before and after the idle work ran.
PREWARM_DRIVER = """
const [, preloadPath, base] = process.argv;
process.argv[1] = '/runtime/lib/program.js';
const preload = require(preloadPath);
globalThis.loaded = [];
require.resolve('@cdktf/provider-aws', { paths: [base] });
const before = [...globalThis.loaded];
preload.runIdleWork();
console.log(JSON.stringify({ before, after: globalThis.loaded }));
"""


def test_preload_loads_the_prewarm_submodules_only_as_idle_work(node: str, tmp_path: Path) -> None:
    pkg = tmp_path / "node_modules" / "@cdktf" / "provider-aws"
    (pkg / "lib").mkdir(parents=True)
    (pkg / "package.json").write_text(json.dumps({"name": "@cdktf/provider-aws", "main": "lib/index.js"}))
    names = ["vpc", "subnet", "albListener"]
    files = {"vpc": "vpc", "subnet": "subnet", "albListener": "alb-listener"}
    (pkg / "lib" / "index.js").write_text("".join('exports.%s = require("./%s");\n' % (n, files[n]) for n in names))
    (pkg / "lib" / "lazy-index.js").write_text(
        "".join(
            "Object.defineProperty(exports, '%s', { get: function () { return require('./%s'); } });\n" % (n, files[n])
            for n in names
        )
    )
    for n in names:
        (pkg / "lib" / ("%s.js" % files[n])).write_text("globalThis.loaded.push(%r);\n" % n)
    env = {**os.environ, "CDKTF_JSII_PREWARM": "albListener,vpc,notASubmodule"}
    env.pop("NODE_OPTIONS", None)
    proc = subprocess.run(
        [node, "-e", PREWARM_DRIVER, str(_install.PRELOAD_FILE), str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report == {"before": [], "after": ["albListener", "vpc"]}


# ------------------------------------------------------------------------ V8 code cache

# Installs the code cache, then requires a module and reports what the module saw and
# what the cache did (the counts are final after the exit handler wrote the cache).
CODE_CACHE_DRIVER = """
const [, cachePath, dir, target] = process.argv;
const cache = require(cachePath);
const stats = cache.install(dir);
const mod = require(target);
process.on('exit', () => {
  const s = { hits: stats.hits, misses: stats.misses, rejected: stats.rejected, written: stats.written,
              disabled: stats.disabled };
  require('fs').writeSync(1, JSON.stringify({ mod, stats: s }) + '\\n');
});
"""

CACHED_MODULE = textwrap.dedent(
    """\
    const path = require('path');
    const helper = require('./helper');
    module.exports = {
      thisIsExports: this === module.exports,
      filename: path.basename(__filename),
      dirname: path.basename(__dirname),
      resolved: path.basename(require.resolve('./helper')),
      helper: helper.value,
      lazy: (() => [1, 2, 3].map((n) => n * 2))(),
    };
    """
)


def _code_cache_run(node: str, cache_dir: Path, target: Path) -> dict[str, Any]:
    env = dict(os.environ)
    env.pop("NODE_OPTIONS", None)
    proc = subprocess.run(
        [node, "-e", CODE_CACHE_DRIVER, str(ROOT / "fastsynth" / "_jsii_codecache.cjs"), str(cache_dir), str(target)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    report: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return report


def test_code_cache_is_written_once_then_used_and_modules_behave_the_same(node: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "main.js").write_text(CACHED_MODULE)
    (src / "helper.js").write_text("exports.value = 42;\n")
    cache_dir = tmp_path / "cache"
    expected = {
        "thisIsExports": True,
        "filename": "main.js",
        "dirname": "src",
        "resolved": "helper.js",
        "helper": 42,
        "lazy": [2, 4, 6],
    }
    first = _code_cache_run(node, cache_dir, src / "main.js")
    assert first["mod"] == expected
    assert first["stats"] == {"hits": 0, "misses": 2, "rejected": 0, "written": 2, "disabled": ""}
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"
    # The same sources elsewhere (jsii links packages into a new temporary directory each
    # run): the cache is keyed by content, so it hits.
    moved = tmp_path / "elsewhere" / "src"
    shutil.copytree(src, moved)
    second = _code_cache_run(node, cache_dir, moved / "main.js")
    assert second["mod"] == {**expected}
    assert second["stats"] == {"hits": 2, "misses": 0, "rejected": 0, "written": 0, "disabled": ""}
    # Corrupt cache data is rejected by V8: the module still runs, and the entry is rewritten.
    for entry in cache_dir.iterdir():
        entry.write_bytes(b"not v8 code cache data" * 10)
    third = _code_cache_run(node, cache_dir, src / "main.js")
    assert third["mod"] == expected
    assert third["stats"] == {"hits": 0, "misses": 0, "rejected": 2, "written": 2, "disabled": ""}


def test_code_cache_refuses_a_directory_others_can_write(node: str, tmp_path: Path) -> None:
    src = tmp_path / "main.js"
    src.write_text("module.exports = 7;\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    report = _code_cache_run(node, shared, src)
    assert report["mod"] == 7
    assert "is writable by group or others" in report["stats"]["disabled"]
    assert report["stats"]["written"] == 0 and list(shared.iterdir()) == []


# ------------------------------------------------------------- assembly loads in the background


def test_bundled_node_is_the_installed_binary_for_this_platform(tmp_path: Path) -> None:
    import platform

    package = _install._NODE_PACKAGES.get((sys.platform, platform.machine()))
    if package is None:
        pytest.skip("no Node.js package is pinned for %s/%s" % (sys.platform, platform.machine()))
    assert _install.bundled_node(tmp_path) is None  # nothing installed
    binary = tmp_path / "node_modules" / package / "bin" / "node"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    assert _install.bundled_node(tmp_path) is None  # not executable
    binary.chmod(0o755)
    assert _install.bundled_node(tmp_path) == binary


def _fake_loads(monkeypatch: pytest.MonkeyPatch, log: list[tuple[str, float]], fail: str = "") -> Any:
    import jsii

    def load(*args: str) -> None:
        time.sleep(0.2)
        if args[0] == fail:
            raise OSError("tarball of %s is unreadable" % fail)
        log.append((args[0], time.perf_counter()))

    monkeypatch.setattr(jsii.JSIIAssembly, "load", staticmethod(load))
    return _install._AssemblyLoads()


def test_queued_loads_run_in_order_on_one_thread_and_wait_blocks_until_done(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[tuple[str, float]] = []
    loads = _fake_loads(monkeypatch, log)
    started = time.perf_counter()
    record = loads.enqueue("first", "1.0.0", "first", "first@1.0.0.jsii.tgz")
    loads.enqueue("second", "2.0.0", "second", "second@2.0.0.jsii.tgz")
    assert time.perf_counter() - started < 0.1  # enqueue returns at once
    assert (record.name, record.version, record.module) == ("first", "1.0.0", "first")
    loads.wait()
    assert [name for name, _ in log] == ["first", "second"] and loads.pending == 0
    assert loads.thread is not None and loads.thread.daemon


def test_a_failed_load_is_raised_once_by_the_next_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[tuple[str, float]] = []
    loads = _fake_loads(monkeypatch, log, fail="broken")
    loads.enqueue("broken", "1.0.0", "broken", "broken@1.0.0.jsii.tgz")
    loads.enqueue("fine", "1.0.0", "fine", "fine@1.0.0.jsii.tgz")
    with pytest.raises(RuntimeError, match="loading the jsii assembly broken failed: tarball of broken is unreadable"):
        loads.wait()
    loads.wait()  # reported once
    assert [name for name, _ in log] == ["fine"]


def test_kernel_calls_wait_for_queued_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate on jsii's send (installed by conftest's install()) holds a kernel call until
    the queue is empty, so the kernel sees the loads first."""
    import cdktf

    status = _install.status()
    if status is None or not status.async_loads:
        pytest.skip(
            "assembly loads are not in the background in this session: %s" % (status and status.async_loads_reason)
        )
    log: list[tuple[str, float]] = []
    loads = _fake_loads(monkeypatch, log)
    monkeypatch.setattr(_install, "_loads", loads)
    loads.enqueue("slow", "1.0.0", "slow", "slow@1.0.0.jsii.tgz")
    assert cdktf.Token.as_string(12).startswith("${TfToken[")  # a kernel call (static invoke)
    called = time.perf_counter()
    assert log and log[0][0] == "slow" and log[0][1] <= called


ASYNC_JSII_SOURCE = textwrap.dedent(
    """\
    import jsii
    __jsii_assembly__ = jsii.JSIIAssembly.load("demo", "1.2.3", __name__[0:-6], "demo@1.2.3.jsii.tgz")
    __all__ = ["__jsii_assembly__"]
    """
)


def test_async_loader_queues_the_one_assembly_load_of_a_generated_jsii_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queued: list[tuple[str, ...]] = []

    def enqueue(*args: str) -> str:
        queued.append(args)
        return "record"

    monkeypatch.setattr(_install._loads, "enqueue", enqueue)
    pkg = tmp_path / "demo" / "_jsii"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(ASYNC_JSII_SOURCE)
    loader = _install._AsyncAssemblyLoader("demo._jsii", str(pkg / "__init__.py"), optimize=False)
    spec = importlib.util.spec_from_file_location("demo._jsii", pkg / "__init__.py", loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    assert queued == [("demo", "1.2.3", "demo", "demo@1.2.3.jsii.tgz")]
    assert module.__jsii_assembly__ == "record"


def test_async_loader_runs_other_layouts_unchanged(tmp_path: Path) -> None:
    pkg = tmp_path / "other" / "_jsii"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("LOADED = 'as usual'\n")  # no assembly load to queue
    loader = _install._AsyncAssemblyLoader("other._jsii", str(pkg / "__init__.py"), optimize=False)
    spec = importlib.util.spec_from_file_location("other._jsii", pkg / "__init__.py", loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    assert module.LOADED == "as usual" and "__cdktf_queue_assembly_load__" not in vars(module)
