// The raw ONNX Runtime throughput of a model file outside the JVM: the baseline that `./semcache bench ort`
// (bench/src/main/java/dev/semcache/bench/OrtComparison.java) measures semcache's embedder against.
//
//   node ort-bench.js CONFIG.json
//
// CONFIG: {model, mode, threads, workers, batch, warmupS, seconds, spinning, sequences: [{ids, typeIds}]}
//   mode "batch":    one session of `threads` intra-op threads, `batch` sequences per inference, back to back
//   mode "parallel": `workers` worker threads, each its own one-thread session, one sequence per inference
// The sequences all have one length (no padding), as the Java side's. Prints one JSON line:
// {mode, texts, seconds, textsPerS, inferences, p50Ms, p99Ms, ortVersion}.
'use strict';
const fs = require('node:fs');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

function sessionOptions(threads, spinning) {
  const options = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  if (!spinning) {
    options.extra = { session: { intra_op: { allow_spinning: '0' } } };
  }
  return options;
}

function feeds(session, sequences, from, count) {
  const length = sequences[0].ids.length;
  const ids = new BigInt64Array(count * length);
  const types = new BigInt64Array(count * length);
  const mask = new BigInt64Array(count * length).fill(1n);
  for (let j = 0; j < count; j++) {
    const s = sequences[(from + j) % sequences.length];
    for (let t = 0; t < length; t++) {
      ids[j * length + t] = BigInt(s.ids[t]);
      types[j * length + t] = BigInt(s.typeIds[t]);
    }
  }
  const dims = [count, length];
  const out = {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
  };
  if (session.inputNames.includes('token_type_ids')) {
    out.token_type_ids = new ort.Tensor('int64', types, dims);
  }
  return out;
}

// Runs inferences back to back for warmupS, then for seconds; returns the measured latencies (ms).
async function loop(config, threads, batch) {
  const session = await ort.InferenceSession.create(config.model, sessionOptions(threads, config.spinning));
  const output = session.outputNames.includes('last_hidden_state') ? 'last_hidden_state' : session.outputNames[0];
  const sequences = config.sequences;
  let next = 0;
  const once = async () => {
    // Inputs are built per inference, as the JVM builds its tensors per inference.
    const input = feeds(session, sequences, next, batch);
    next = (next + batch) % sequences.length;
    const result = await session.run(input, [output]);
    return result[output].data.length;
  };
  const warmEnd = performance.now() + config.warmupS * 1000;
  while (performance.now() < warmEnd) {
    await once();
  }
  const latencies = [];
  const start = performance.now();
  const end = start + config.seconds * 1000;
  while (performance.now() < end) {
    const t0 = performance.now();
    await once();
    latencies.push(performance.now() - t0);
  }
  await session.release();
  return { latencies, elapsed: (performance.now() - start) / 1000 };
}

function percentile(sorted, p) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

async function main() {
  const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  let latencies;
  let elapsed;
  let texts;
  if (config.mode === 'batch') {
    const r = await loop(config, config.threads, config.batch);
    latencies = r.latencies;
    elapsed = r.elapsed;
    texts = latencies.length * config.batch;
  } else if (config.mode === 'parallel') {
    const results = await Promise.all(Array.from({ length: config.workers }, () => new Promise((resolve, reject) => {
      const w = new Worker(__filename, { workerData: config });
      w.once('message', resolve);
      w.once('error', reject);
    })));
    latencies = results.flatMap((r) => r.latencies);
    elapsed = Math.max(...results.map((r) => r.elapsed));
    texts = latencies.length;
  } else {
    throw new Error(`mode must be batch or parallel; mode=${config.mode}`);
  }
  latencies.sort((a, b) => a - b);
  process.stdout.write(JSON.stringify({
    mode: config.mode,
    texts,
    seconds: elapsed,
    textsPerS: texts / elapsed,
    inferences: latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    ortVersion: require('onnxruntime-node/package.json').version,
  }) + '\n');
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`ort-bench: ${e.stack || e}\n`);
    process.exit(1);
  });
} else {
  loop(workerData, 1, 1).then((r) => parentPort.postMessage(r));
}
