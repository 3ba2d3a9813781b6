/**
 * CPU per body of Picom's encoding, in process: a reply envelope and a
 * request, JSON and bytes, at the sizes of the payload scenarios. For
 * changes to the codec, where the end-to-end bench is too noisy to see a few
 * microseconds; pass another tree's build to compare (A/B):
 *
 *   node build/bench/codec-cost.js [--lib=/other/tree/build/lib]
 *
 * Prints the median of five runs per figure.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeRequest } from './workload.js';

/** 0: the small call's `{a,b}`. */
const SIZES_KIB = [0, 1, 10, 64];
const RUNS = 5;

type Encoder = (value: unknown) => Uint8Array;

interface Codec {
  encodeSuccess(value: unknown): Uint8Array | string;
  encodeRequest(value: unknown): string;
}

async function loadEncoders(lib: string | undefined): Promise<{ reply: Encoder; request: Encoder }> {
  const base = lib === undefined ? new URL('../lib/', import.meta.url).href : `${pathToFileURL(resolve(lib)).href}/`;
  const codec = (await import(`${base}protocol/envelope.codec.js`)) as Codec;
  const { toBytes } = (await import(`${base}protocol/bytes.js`)) as { toBytes(body: string): Uint8Array };
  return {
    // An older tree's encodeSuccess returned the envelope as a string for toBytes.
    reply: (value) => {
      const envelope = codec.encodeSuccess(value);
      return typeof envelope === 'string' ? toBytes(envelope) : envelope;
    },
    request: (value) => toBytes(codec.encodeRequest(value)),
  };
}

/** Microseconds per call of `encode(value)`, after a fifth as many unmeasured. */
function cost(encode: Encoder, value: unknown, calls: number): number {
  for (let i = 0; i < calls / 5; i++) encode(value);
  const start = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) encode(value);
  return Number(process.hrtime.bigint() - start) / calls / 1000;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}

const lib = process.argv.find((arg) => arg.startsWith('--lib='))?.slice('--lib='.length);
const encoders = await loadEncoders(lib);
for (const kib of SIZES_KIB) {
  const value = makeRequest(kib * 1024);
  const calls = kib >= 64 ? 5_000 : kib === 0 ? 300_000 : 30_000;
  const reply: number[] = [];
  const request: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    reply.push(cost(encoders.reply, value, calls));
    request.push(cost(encoders.request, value, calls));
  }
  console.log(`${kib === 0 ? 'add({a,b})' : `${kib} KiB`}: reply envelope ${median(reply).toFixed(2)} µs, request ${median(request).toFixed(2)} µs`);
}
