"""The synth accelerator: CDKTF with the prebuilt AWS provider, synthesized in ~1 s instead of ~13 s.

Smallest example (the first lines of an app, before anything imports ``cdktf`` or the
provider package)::

    import fastsynth

    fastsynth.install(enabled=True)  # False: plain eager import, nothing touched

One switch: ``enabled``. With it on, the provider's ~2,100 submodules load on first use on
both sides of jsii, the jsii kernel runs in one Node process, and the interpreter exits
without a final garbage collection; every fast path checks its own preconditions and
falls back to jsii's normal behaviour. The keyword arguments of ``install`` tune single
paths (binding type checks, V8 code cache, Node binary, prewarm list). The synthesized
output is byte-identical with the switch on or off. ``README.md`` next to this file
explains each path, its fallback, how it is tested and what it measured.

This package reads no configuration from the environment: the app decides (``main.py``
reads ``CDKTF_FAST_IMPORT``, ``CDKTF_TYPE_CHECKS`` and ``XDG_CACHE_HOME``) and passes
values and paths. It knows nothing about the project's constructs, and nothing under
``modules/``, ``stacks/`` or ``envconfig/`` imports it: only the entry points do
(``main.py``, ``tests/conftest.py``, ``bench/``).

``kernel_calls.count()`` counts the kernel round trips of a synth (``make bench-synth``
prints them): a measurement, not a budget on how constructs are written.
"""

from __future__ import annotations

from fastsynth._install import (
    PROVIDER_PACKAGE,
    FastImportStatus,
    bundled_node,
    code_cache_dir,
    install,
    loaded_submodules,
    provider_submodules_in,
    status,
)

__all__ = [
    "PROVIDER_PACKAGE",
    "FastImportStatus",
    "bundled_node",
    "code_cache_dir",
    "install",
    "loaded_submodules",
    "provider_submodules_in",
    "status",
]
