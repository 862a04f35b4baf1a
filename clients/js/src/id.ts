// UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. The 12-bit `rand_a` field
// is a counter within one millisecond, so the ids of one page sort in the order they were made
// (the offline queue relies on it: it is kept ordered by its ids).

let lastMs = 0;
let counter = 0;

/** A fresh UUIDv7, lowercase and hyphenated, as the API's ids are. */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Date.now();
  if (ms <= lastMs) {
    ms = lastMs;
    counter += 1;
    if (counter > 0xfff) {
      ms += 1;
      counter = 0;
    }
  } else {
    // Start low in the field so many ids of one millisecond still fit before it overflows.
    counter = ((bytes[6] << 8) | bytes[7]) & 0x7ff;
  }
  lastMs = ms;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
