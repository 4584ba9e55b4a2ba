'use strict';
// Node preload for the jsii kernel process (fastsynth/README.md).
//
// fastsynth/_install.py starts the jsii kernel with NODE_OPTIONS='--require <this file>'.
// The kernel loads a jsii package by resolving its name and requiring the result; for
// @cdktf/provider-aws that is lib/index.js, which requires all ~2,100 submodules
// (~1.9 s, ~400 MB). The same package ships lib/lazy-index.js, which exports the same
// names as getters that require each submodule on first access. This preload makes the
// resolution of the package name return lib/lazy-index.js instead -- only when:
//   * this process is the kernel (lib/program.js of the jsii runtime, or fastsynth/_jsii_direct.cjs),
//   * the request is exactly the package name and resolves to <pkg>/lib/index.js,
//   * <pkg>/package.json names the package and has main lib/index.js,
//   * both files map exactly the same export names to the same submodule files.
// Otherwise, or on any error, the normal resolution result is returned unchanged.
// With CDKTF_V8_CACHE_DIR set it also installs the code cache of _jsii_codecache.cjs.
// Nothing on disk is modified (except that cache directory). Set CDKTF_FAST_IMPORT_TRACE=1 to log the decision to stderr.

const PACKAGE = '@cdktf/provider-aws';
const EAGER_EXPORT = /exports\.([A-Za-z_$][\w$]*) = require\("(\.\/[\w.-]+)"\);/g;
const LAZY_EXPORT =
  /Object\.defineProperty\(exports, '([A-Za-z_$][\w$]*)', \{ get: function \(\) \{ return require\('(\.\/[\w.-]+)'\); \} \}\);/g;

function exportMap(source, pattern) {
  const map = new Map();
  for (const match of source.matchAll(pattern)) {
    if (map.has(match[1])) return null; // duplicate export name: not the layout we know
    map.set(match[1], match[2]);
  }
  const requires = (source.match(/\brequire\(/g) || []).length;
  return requires === map.size ? map : null; // every require() must be one of the exports
}

// Returns [replacementPath | null, reason].
function decide(indexPath) {
  const fs = require('fs');
  const path = require('path');
  const libDir = path.dirname(indexPath);
  const pkgDir = path.dirname(libDir);
  if (path.basename(indexPath) !== 'index.js' || path.basename(libDir) !== 'lib') {
    return [null, `resolved to ${indexPath}, not <package>/lib/index.js`];
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
  if (manifest.name !== PACKAGE || (manifest.main || 'index.js').replace(/^\.\//, '') !== 'lib/index.js') {
    return [null, `package.json is ${manifest.name} with main ${manifest.main}`];
  }
  const lazyPath = path.join(libDir, 'lazy-index.js');
  if (!fs.existsSync(lazyPath)) return [null, 'lib/lazy-index.js is missing'];
  const eager = exportMap(fs.readFileSync(indexPath, 'utf8'), EAGER_EXPORT);
  const lazy = exportMap(fs.readFileSync(lazyPath, 'utf8'), LAZY_EXPORT);
  if (eager === null || lazy === null || eager.size === 0) {
    return [null, 'lib/index.js or lib/lazy-index.js has an unexpected layout'];
  }
  if (eager.size !== lazy.size || [...eager].some(([name, file]) => lazy.get(name) !== file)) {
    return [null, 'lib/lazy-index.js does not export the same submodules as lib/index.js'];
  }
  return [lazyPath, `${eager.size} submodules, loaded on first use`];
}

// Prewarm (fastsynth/README.md, 4): once the package resolves to lib/lazy-index.js, the
// submodules named in CDKTF_JSII_PREWARM (jsii namespaces, comma-separated) are queued as
// idle work. fastsynth/_jsii_direct.cjs runs idle work just before it blocks reading the next
// request, i.e. while Python is busy importing; the kernel later finds them in the module
// cache. Errors are ignored: the kernel then loads a submodule itself on first use.
const idle = [];
let prewarmQueued = false;

function runIdleWork() {
  while (idle.length > 0) {
    const job = idle.shift();
    try {
      job();
    } catch (err) {
      // warm-up only: the kernel loads the module itself when it needs it
    }
  }
}

function queuePrewarm(lazyPath) {
  const names = (process.env.CDKTF_JSII_PREWARM || '').split(',').filter(Boolean);
  if (prewarmQueued || names.length === 0) return;
  prewarmQueued = true;
  idle.push(() => {
    const exported = require(lazyPath);
    for (const name of names) {
      if (Object.prototype.hasOwnProperty.call(exported, name)) void exported[name];
    }
  });
}

function install() {
  const path = require('path');
  const entry = process.argv[1] || '';
  // The jsii runtime wrapper (bin/jsii-runtime.js) spawns lib/program.js, the kernel proper;
  // fastsynth/_jsii_direct.cjs runs that kernel in its own process instead.
  const isKernel = path.basename(entry) === 'program.js' && path.basename(path.dirname(entry)) === 'lib';
  if (!isKernel && path.basename(entry) !== '_jsii_direct.cjs') return;
  const Module = require('module');
  const trace = process.env.CDKTF_FAST_IMPORT_TRACE === '1';
  if (process.env.CDKTF_V8_CACHE_DIR) {
    try {
      const { disabled } = require(path.join(__dirname, '_jsii_codecache.cjs')).install(process.env.CDKTF_V8_CACHE_DIR);
      if (disabled && trace) process.stderr.write(`[cdktf-fast-import] code cache off: ${disabled}\n`);
    } catch (err) {
      // no code cache: Node compiles every module as usual
    }
  }
  const original = Module._resolveFilename;
  if (typeof original !== 'function') return;
  // The kernel requires the package name again for every type it looks up, and every
  // require() resolves before it consults the module cache: decide once per resolved path.
  const decisions = new Map();
  Module._resolveFilename = function resolveFilename(request, ...rest) {
    const resolved = original.call(this, request, ...rest);
    if (request !== PACKAGE) return resolved;
    if (decisions.has(resolved)) return decisions.get(resolved);
    let replacement = null;
    let reason;
    try {
      [replacement, reason] = decide(resolved);
    } catch (err) {
      reason = `check failed: ${err && err.message}`;
    }
    if (trace) {
      process.stderr.write(
        `[cdktf-fast-import] ${PACKAGE}: ${replacement ? 'lib/lazy-index.js' : 'lib/index.js'} (${reason})\n`,
      );
    }
    decisions.set(resolved, replacement || resolved);
    if (replacement) queuePrewarm(replacement);
    return replacement || resolved;
  };
}

try {
  install();
} catch (err) {
  // Never break the kernel: without the hook the package loads through lib/index.js.
}

module.exports = { decide, runIdleWork };
