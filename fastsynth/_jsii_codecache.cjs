'use strict';
// V8 code cache for the jsii kernel's CommonJS modules (fastsynth/README.md, 6).
//
// Every synth, the kernel compiles the same JavaScript again: jsii's lib/program.js, the
// ~370 files of cdktf and the provider resources in use (~10 MB). The kernel requires them
// from a fresh temporary node_modules each run (jsii links its package cache there), so a
// cache keyed by file name would never hit. This one is keyed by the SHA-256 of the source
// text (plus the Node version and architecture): the same source, compiled by the same V8,
// gets the same cached code, wherever the file sits.
//
// install(dir) wraps Module.prototype._compile, the step where Node compiles and runs a
// CommonJS file, like the widely used v8-compile-cache package does: the source is compiled
// as a vm.Script with the wrapper Node itself uses, given the cached data when there is
// some, and run with the same five arguments (exports, require, module, __filename,
// __dirname). V8 checks the cached data against the source and its own version and flags
// and ignores it on any mismatch (then the file is compiled as usual). At process exit the
// code of every file that had no usable cache is serialized (after running, so it includes
// the functions compiled lazily while the kernel worked) and written atomically.
//
// The directory must be private: created with mode 0700, owned by this user and not
// writable by group or others; otherwise nothing is cached. Any error while reading the
// cache falls back to Node's own compile.

const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const stats = { hits: 0, misses: 0, rejected: 0, written: 0, disabled: '' };

function privateDirectory(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return `${dir} belongs to another user`;
  if ((st.mode & 0o022) !== 0) return `${dir} is writable by group or others`;
  return '';
}

function makeRequire(mod) {
  const require = function require(id) {
    return mod.require(id);
  };
  require.resolve = function resolve(request, options) {
    return Module._resolveFilename(request, mod, false, options);
  };
  require.resolve.paths = function paths(request) {
    return Module._resolveLookupPaths(request, mod);
  };
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

function install(dir) {
  const unusable = privateDirectory(dir);
  if (unusable) {
    stats.disabled = unusable;
    return stats;
  }
  const original = Module.prototype._compile;
  const salt = `${process.version}\0${process.arch}\0`;
  const toWrite = [];
  Module.prototype._compile = function compileWithCache(content, filename, ...rest) {
    // Only plain CommonJS text; anything else (e.g. a format argument naming ESM) goes to Node.
    if (typeof content !== 'string' || rest.some((arg) => arg !== undefined && arg !== 'commonjs')) {
      return original.call(this, content, filename, ...rest);
    }
    let script;
    let cacheFile;
    try {
      const key = crypto.createHash('sha256').update(salt).update(content).digest('hex');
      cacheFile = path.join(dir, `${key}.v8`);
      let cached;
      try {
        cached = fs.readFileSync(cacheFile);
      } catch (err) {
        cached = undefined;
      }
      script = new vm.Script(Module.wrap(content), { filename, cachedData: cached });
      if (cached === undefined) stats.misses += 1;
      else if (script.cachedDataRejected) stats.rejected += 1;
      else stats.hits += 1;
      if (cached === undefined || script.cachedDataRejected) toWrite.push([script, cacheFile]);
    } catch (err) {
      return original.call(this, content, filename, ...rest);
    }
    const compiled = script.runInThisContext({ displayErrors: true });
    return compiled.call(this.exports, this.exports, makeRequire(this), this, filename, path.dirname(filename));
  };
  process.on('exit', () => {
    for (const [script, file] of toWrite) {
      try {
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, file);
        stats.written += 1;
      } catch (err) {
        // a cache that cannot be written only costs the next run its speed-up
      }
    }
    if (process.env.CDKTF_FAST_IMPORT_TRACE === '1') {
      const line = `[cdktf-fast-import] code cache: ${stats.hits} hits, ${stats.misses} misses, ${stats.rejected} rejected, ${stats.written} written\n`;
      try {
        fs.writeSync(2, `${JSON.stringify({ stderr: Buffer.from(line).toString('base64') })}\n`);
      } catch (err) {
        // stderr closed: nothing to report to
      }
    }
  });
  return stats;
}

module.exports = { install, stats };
