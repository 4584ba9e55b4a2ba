'use strict';
// jsii kernel in one Node process, without jsii's relay (fastsynth/README.md).
//
// jsii's own entry, bin/jsii-runtime.js, is a relay: it spawns lib/program.js (the kernel)
// as a second Node process with a socket as fd 3, pipes Python's requests from its stdin
// into fd 3 and the kernel's responses from fd 3 to its stdout, and wraps whatever the
// kernel prints as {"stdout"|"stderr": <base64>} lines on its own stderr. Every kernel call
// (a synth makes ~1,000) therefore crosses two processes.
//
// fastsynth/_install.py starts the kernel with JSII_RUNTIME=<this file> and
// CDKTF_JSII_RUNTIME_DIR=<a copy of jsii's embedded runtime: bin/jsii-runtime.js,
// lib/program.js, lib/runtime-index-worker.js>. This file does what the relay does, inside
// the kernel process:
//   * the kernel reads and writes its requests on fd 3 with fs.readSync / fs.writeSync; here
//     those two calls are pointed at stdin (0) and stdout (1), the pipes from and to Python,
//     for fd 3 only. In this process fd 3 is libuv's event-loop descriptor, open for the
//     whole life of the process, so no file, pipe or socket can ever get that number: this
//     is checked first, and nothing else reads or writes it through fs;
//   * console output of code running in the kernel goes through process.stdout/stderr;
//     both are wrapped as {"stdout"|"stderr": <base64>} lines on fd 2, which the Python
//     side decodes exactly as it decodes the relay's, so stdout stays the protocol channel;
//   * --preserve-symlinks is added to process.execArgv (and given in NODE_OPTIONS by the
//     caller) because the relay starts the kernel with it and the kernel checks for it;
//   * just before each blocking read of the next request, the preload's queued idle work
//     runs (loading the provider resources named in CDKTF_JSII_PREWARM), while Python is
//     busy anyway.
// If a condition does not hold, nothing is changed and jsii's relay (bin/jsii-runtime.js
// of the same copy) is started instead, exactly as without this file.
// CDKTF_FAST_IMPORT_TRACE=1 logs which of the two runs.

const fs = require('fs');
const path = require('path');

const KERNEL_FD = 3;

function isPipe(fd) {
  try {
    return fs.fstatSync(fd).isFIFO();
  } catch (err) {
    return false;
  }
}

// Returns null when the kernel can run in this process, else why not.
function unmetCondition(runtimeDir) {
  if (!runtimeDir || !fs.existsSync(path.join(runtimeDir, 'lib', 'program.js'))) {
    return `CDKTF_JSII_RUNTIME_DIR must hold jsii's lib/program.js (got ${runtimeDir})`;
  }
  // Started by a jsii host (Python's subprocess.Popen): requests on a stdin pipe, responses
  // on a stdout pipe. Anything else (a terminal, a file) is not a jsii host.
  if (!isPipe(0) || !isPipe(1)) return 'stdin and stdout are not both pipes';
  let own;
  try {
    own = fs.fstatSync(KERNEL_FD);
  } catch (err) {
    return `fd ${KERNEL_FD} is not open in this process`;
  }
  if (own.isFile() || own.isFIFO() || own.isSocket() || own.isCharacterDevice() || own.isDirectory()) {
    return `fd ${KERNEL_FD} is a file, pipe, socket or device in this process`;
  }
  return null;
}

function relayConsole(writeSync) {
  for (const name of ['stdout', 'stderr']) {
    process[name].write = function relayWrite(chunk, encoding, callback) {
      if (typeof encoding === 'function') {
        callback = encoding;
        encoding = undefined;
      }
      const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk), encoding);
      writeSync.call(fs, 2, `${JSON.stringify({ [name]: data.toString('base64') })}\n`);
      if (typeof callback === 'function') process.nextTick(callback);
      return true;
    };
  }
}

// The preload's queue of work to do while the kernel waits (same module instance as the one
// NODE_OPTIONS --require loaded); a no-op without it.
function idleWorkRunner() {
  try {
    const preload = require(path.join(__dirname, '_jsii_preload.cjs'));
    if (typeof preload.runIdleWork === 'function') return preload.runIdleWork;
  } catch (err) {
    // no preload: nothing to do while waiting
  }
  return () => {};
}

// A diagnostic line on stderr, wrapped as the relay wraps console output.
function trace(message) {
  if (process.env.CDKTF_FAST_IMPORT_TRACE !== '1') return;
  const record = { stderr: Buffer.from(`[cdktf-fast-import] ${message}\n`).toString('base64') };
  fs.writeSync(2, `${JSON.stringify(record)}\n`);
}

function main() {
  const runtimeDir = process.env.CDKTF_JSII_RUNTIME_DIR;
  const unmet = unmetCondition(runtimeDir);
  if (unmet !== null) {
    trace(`kernel: jsii relay (${unmet})`);
    require(path.join(runtimeDir || '', 'bin', 'jsii-runtime.js'));
    return;
  }
  const { readSync, writeSync } = fs;
  const runIdleWork = idleWorkRunner();
  fs.readSync = function kernelReadSync(fd, ...rest) {
    if (fd !== KERNEL_FD) return readSync.call(fs, fd, ...rest);
    runIdleWork(); // the response is written; Python is busy until it sends the next request
    return readSync.call(fs, 0, ...rest);
  };
  fs.writeSync = function kernelWriteSync(fd, ...rest) {
    return writeSync.call(fs, fd === KERNEL_FD ? 1 : fd, ...rest);
  };
  relayConsole(writeSync);
  if (!process.execArgv.includes('--preserve-symlinks')) process.execArgv.push('--preserve-symlinks');
  trace('kernel: one process (no relay)');
  require(path.join(runtimeDir, 'lib', 'program.js'));
}

main();
