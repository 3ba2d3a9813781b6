/**
 * A body as UTF-8 bytes, for `nc.publish()`. Handing nats.js bytes rather than
 * a string saves its TextEncoder call, which allocates a fresh ArrayBuffer per
 * message; small `Buffer.from` results are carved from Node's shared pool and
 * are never written again. The bytes are the same.
 */
export function toBytes(body: string): Uint8Array {
  return Buffer.from(body, 'utf8');
}
