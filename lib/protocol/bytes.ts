/**
 * Bodies become UTF-8 bytes here, for `nc.publish()`. Handing nats.js bytes
 * rather than a string saves its TextEncoder call, which allocates a fresh
 * ArrayBuffer per message. Bodies are written one after another into a shared
 * slab that is never written twice, as Node's own pool does for strings under
 * 4 KiB; this one also takes the kilobyte bodies Picom is made for, which
 * would otherwise cost an ArrayBuffer each (a third of their encoding time),
 * and joins an envelope around a body without building the joined string.
 * A slab is freed once nats.js has written out every body in it.
 */

const SLAB_BYTES = 1024 * 1024;
/**
 * Longer bodies (in UTF-16 units, up to 3 bytes each) get a buffer of their
 * own: a 64 KiB body still shares a slab, with room for a few.
 */
const MAX_SLAB_UNITS = 96 * 1024;

/** Empty until the first body: a process that sends nothing allocates nothing. */
let slab = Buffer.alloc(0);
let used = 0;

/** `body` as UTF-8 bytes. */
export function toBytes(body: string): Uint8Array {
  return joinBytes('', body, '');
}

/** `before + body + after` as UTF-8 bytes, without the joined string. */
export function joinBytes(before: string, body: string, after: string): Uint8Array {
  const units = before.length + body.length + after.length;
  if (units > MAX_SLAB_UNITS) {
    return Buffer.from(before + body + after, 'utf8');
  }
  if (used + units * 3 > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const start = used;
  let end = start;
  if (before.length > 0) {
    end += slab.write(before, end, 'utf8');
  }
  end += slab.write(body, end, 'utf8');
  if (after.length > 0) {
    end += slab.write(after, end, 'utf8');
  }
  used = end;
  // A plain view: Buffer#subarray goes through the species constructor, at twice the cost.
  return new Uint8Array(slab.buffer, slab.byteOffset + start, end - start);
}
