#!/usr/bin/env node
// ONNX Runtime oracle: runs an ONNX model on .npy inputs with onnxruntime-node
// (installed by utils/setup.sh into .deps/ort) and writes every output as .npy.
//
//   node utils/ort-run.js MODEL.onnx --input NAME=FILE.npy ... --output-dir DIR
//        [--threads N] [--bench N] [--opt-level disabled|basic|extended|all] [--quiet]
//
// Outputs go to DIR/<output name>.npy (characters other than [A-Za-z0-9._-]
// in the name become '_'). --threads sets the intra-op thread count (default
// 1; execution is sequential, graph optimisation level 'all' unless
// --opt-level says otherwise). --bench N times N runs after one warm-up run
// and prints the median (and min/mean) in milliseconds; the outputs written
// are those of the first run. Exit status 0 on success, 1 on any error
// (message on stderr), 2 on bad usage.
//
// .npy support: format versions 1.0-3.0, C order, little-endian (or
// byte-order-free) dtypes f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1.
'use strict';

const fs = require('fs');
const path = require('path');

const USAGE =
  'usage: node utils/ort-run.js MODEL.onnx --input NAME=FILE.npy ... [--output-dir DIR]\n' +
  '       [--threads N] [--bench N] [--opt-level disabled|basic|extended|all] [--quiet]';

class UsageError extends Error {}

// ------------------------------------------------------------------ .npy

// numpy descr (without byte-order char) <-> ORT tensor type and typed array.
const DTYPES = {
  f4: { ort: 'float32', array: Float32Array },
  f8: { ort: 'float64', array: Float64Array },
  f2: { ort: 'float16', array: Uint16Array },
  i1: { ort: 'int8', array: Int8Array },
  i2: { ort: 'int16', array: Int16Array },
  i4: { ort: 'int32', array: Int32Array },
  i8: { ort: 'int64', array: BigInt64Array },
  u1: { ort: 'uint8', array: Uint8Array },
  u2: { ort: 'uint16', array: Uint16Array },
  u4: { ort: 'uint32', array: Uint32Array },
  u8: { ort: 'uint64', array: BigUint64Array },
  b1: { ort: 'bool', array: Uint8Array },
};
const ORT_TO_DESCR = {};
for (const [k, v] of Object.entries(DTYPES)) ORT_TO_DESCR[v.ort] = k;

function readNpy(file) {
  let buf;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read ${file}: ${e.message}`);
  }
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) {
    throw new Error(`${file}: not a .npy file (bad magic)`);
  }
  const major = buf[6];
  let headerLen, headerStart;
  if (major === 1) {
    headerLen = buf.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = buf.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new Error(`${file}: unsupported .npy format version ${major}.${buf[7]}`);
  }
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const descrM = header.match(/'descr'\s*:\s*'([^']*)'/);
  const fortranM = header.match(/'fortran_order'\s*:\s*(True|False)/);
  const shapeM = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!descrM || !fortranM || !shapeM) throw new Error(`${file}: malformed .npy header: ${header.trim()}`);
  if (fortranM[1] === 'True') throw new Error(`${file}: Fortran-order arrays are not supported; save with np.ascontiguousarray`);
  const descr = descrM[1];
  const order = descr[0];
  const code = descr.slice(1);
  const dt = DTYPES[code];
  if (!dt || !'<|='.includes(order) || (order === '|' && !['i1', 'u1', 'b1'].includes(code))) {
    throw new Error(`${file}: unsupported dtype '${descr}' (little-endian f2/f4/f8/i1-i8/u1-u8/b1 only)`);
  }
  const shape = shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    const n = Number(s.replace(/L$/, ''));
    if (!Number.isInteger(n) || n < 0) throw new Error(`${file}: bad shape (${shapeM[1]})`);
    return n;
  });
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  const nbytes = count * dt.array.BYTES_PER_ELEMENT;
  if (buf.length - dataStart < nbytes) {
    throw new Error(`${file}: truncated: shape (${shape}) needs ${nbytes} bytes, file has ${buf.length - dataStart}`);
  }
  // Copy into a fresh, aligned ArrayBuffer.
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(dataStart, dataStart + nbytes));
  let data = new dt.array(ab);
  if (code === 'b1') data = Uint8Array.from(data, (v) => (v ? 1 : 0));
  return { type: dt.ort, shape, data, descr: `${order === '=' ? '<' : order}${code}` };
}

function writeNpy(file, type, dims, data) {
  const code = ORT_TO_DESCR[type];
  if (!code) throw new Error(`cannot write ${file}: unsupported output type ${type}`);
  const descr = (['i1', 'u1', 'b1'].includes(code) ? '|' : '<') + code;
  const shapeStr = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Pad so that magic(6) + version(2) + len(2) + header + '\n' is a multiple of 64.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header + ' '.repeat(total - 10 - header.length - 1) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  let bytes;
  if (type === 'bool') {
    bytes = Buffer.from(Uint8Array.from(data, (v) => (v ? 1 : 0)));
  } else {
    bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), bytes]));
}

// ------------------------------------------------------------------ ORT

function loadOrt() {
  const candidates = [];
  if (process.env.QCC_ORT_NODE) candidates.push(process.env.QCC_ORT_NODE);
  candidates.push(path.join(__dirname, '..', '.deps', 'ort', 'node_modules', 'onnxruntime-node'));
  const errors = [];
  for (const c of candidates) {
    try {
      // onnxruntime-node's dist/binding.js loads the prebuilt
      // bin/napi-v6/<platform>/<arch>/onnxruntime_binding.node by a relative
      // path, next to libonnxruntime.so.1 (found through its RUNPATH), so the
      // package works without its skipped install script.
      return require(c);
    } catch (e) {
      errors.push(`  ${c}: ${e.message.split('\n')[0]}`);
    }
  }
  throw new Error('cannot load onnxruntime-node (run utils/setup.sh, or set QCC_ORT_NODE to the package directory):\n' +
                  errors.join('\n'));
}

function parseArgs(argv) {
  const opts = { model: null, inputs: [], outputDir: null, threads: 1, bench: 0, optLevel: 'all', quiet: false };
  const value = (i, flag) => {
    if (i + 1 >= argv.length) throw new UsageError(`${flag} needs a value`);
    return argv[i + 1];
  };
  const posInt = (s, flag, min) => {
    if (!/^\d+$/.test(s) || Number(s) < min) throw new UsageError(`${flag}: expected an integer >= ${min}, got '${s}'`);
    return Number(s);
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline = null;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const take = () => (inline !== null ? inline : value(i++, a));
    switch (a) {
      case '--input': case '-i': {
        const spec = take();
        const k = spec.indexOf('=');
        if (k <= 0 || k === spec.length - 1) throw new UsageError(`--input expects NAME=FILE.npy, got '${spec}'`);
        opts.inputs.push({ name: spec.slice(0, k), file: spec.slice(k + 1) });
        break;
      }
      case '--output-dir': case '-o': opts.outputDir = take(); break;
      case '--threads': opts.threads = posInt(take(), a, 1); break;
      case '--bench': opts.bench = posInt(take(), a, 1); break;
      case '--opt-level': {
        opts.optLevel = take();
        if (!['disabled', 'basic', 'extended', 'layout', 'all'].includes(opts.optLevel)) {
          throw new UsageError(`--opt-level: unknown level '${opts.optLevel}'`);
        }
        break;
      }
      case '--quiet': case '-q': opts.quiet = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option '${argv[i]}'`);
        if (opts.model) throw new UsageError(`more than one model given ('${opts.model}', '${a}')`);
        opts.model = a;
    }
  }
  if (!opts.model) throw new UsageError('no model given');
  return opts;
}

function fmtShape(s) {
  return `[${s.join(',')}]`;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(opts.model)) throw new Error(`model not found: ${opts.model}`);
  const ort = loadOrt();

  const sessionOptions = {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: opts.optLevel,
    logSeverityLevel: 3,
  };
  let session;
  try {
    session = await ort.InferenceSession.create(opts.model, sessionOptions);
  } catch (e) {
    throw new Error(`cannot load ${opts.model}: ${e.message}`);
  }

  // Check the inputs against the model's declared inputs.
  const meta = {};
  (session.inputMetadata || []).forEach((m) => { meta[m.name] = m; });
  const feeds = {};
  for (const { name, file } of opts.inputs) {
    if (!session.inputNames.includes(name)) {
      throw new Error(`model has no input '${name}' (inputs: ${session.inputNames.join(', ')})`);
    }
    if (name in feeds) throw new Error(`input '${name}' given twice`);
    const arr = readNpy(file);
    const m = meta[name];
    if (m && m.isTensor) {
      if (m.type !== arr.type) {
        throw new Error(`input '${name}': model expects ${m.type}, ${file} holds ${arr.type} (${arr.descr})`);
      }
      if (m.shape.length > 0) {
        const bad = m.shape.length !== arr.shape.length ||
          m.shape.some((d, k) => typeof d === 'number' && d !== arr.shape[k]);
        if (bad) {
          throw new Error(`input '${name}': model expects shape ${fmtShape(m.shape)}, ${file} has ${fmtShape(arr.shape)}`);
        }
      }
    }
    feeds[name] = new ort.Tensor(arr.type, arr.data, arr.shape);
  }
  const missing = session.inputNames.filter((n) => !(n in feeds));
  if (missing.length) {
    const desc = missing.map((n) => (meta[n] && meta[n].isTensor ? `${n} (${meta[n].type} ${fmtShape(meta[n].shape)})` : n));
    throw new Error(`missing input(s): ${desc.join(', ')}; give each with --input NAME=FILE.npy`);
  }

  let results;
  try {
    results = await session.run(feeds);
  } catch (e) {
    throw new Error(`run failed: ${e.message}`);
  }

  if (opts.outputDir) {
    fs.mkdirSync(opts.outputDir, { recursive: true });
  }
  for (const name of session.outputNames) {
    const t = results[name];
    const line = `${name}: ${t.type} ${fmtShape(t.dims)}`;
    if (opts.outputDir) {
      const file = path.join(opts.outputDir, `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.npy`);
      writeNpy(file, t.type, t.dims, t.data);
      if (!opts.quiet) console.log(`${line} -> ${file}`);
    } else if (!opts.quiet) {
      console.log(line);
    }
  }

  if (opts.bench > 0) {
    await session.run(feeds); // warm-up (the first run above also warmed up)
    const times = [];
    for (let i = 0; i < opts.bench; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`bench: ${opts.bench} runs, threads ${opts.threads}: median ${median(times).toFixed(3)} ms ` +
                `(min ${Math.min(...times).toFixed(3)}, mean ${mean.toFixed(3)})`);
  }
  if (session.release) await session.release();
}

main().catch((e) => {
  if (e instanceof UsageError) {
    console.error(`ort-run: ${e.message}\n${USAGE}`);
    process.exit(2);
  }
  console.error(`ort-run: error: ${e.message}`);
  process.exit(1);
});
