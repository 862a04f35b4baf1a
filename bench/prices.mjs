// The cost model: Cloudflare's published prices (Workers Paid plan, USD, marginal: past the
// monthly allowances included in the $5 plan), and the cost of one million operations from what
// the benchmark counted per request. Prices as published on developers.cloudflare.com in 2026;
// check them before relying on the figures.
export const PRICES = {
  worker_requests_per_million: 0.30,        // Workers: requests
  worker_cpu_ms_per_million: 0.02,          // Workers: CPU time, per million CPU-milliseconds
  d1_rows_read_per_million: 0.001,          // D1: rows read
  d1_rows_written_per_million: 1.00,        // D1: rows written
  do_requests_per_million: 0.15,            // Durable Objects: requests (incl. WebSocket messages 20:1)
  do_gb_seconds_per_million: 12.50,         // Durable Objects: duration, 128 MB per active object
  do_sqlite_rows_written_per_million: 1.00, // Durable Objects SQLite storage: rows written
  kv_reads_per_million: 0.50,               // KV: reads
  kv_writes_per_million: 5.00,              // KV: writes
  r2_class_a_per_million: 4.50,             // R2: writes, lists
  r2_class_b_per_million: 0.36,             // R2: reads
};

/** What local workerd cannot count, assumed: CPU per request (its logged wall time mostly waits on
 * D1 and the object, and under load on the queue), and how long an object stays active per call. */
export const ASSUMED = { cpu_ms_per_request: 5, object_active_seconds_per_call: 0.010 };

/**
 * One million requests of a measured kind. A cookie-authenticated request reads its session from
 * KV when its isolate does not remember it (counted as `kv_reads`; a log without the count, from
 * before it, is taken as one read per request). Renewals write it at most once per renewal
 * interval, left out as steady state.
 */
function perMillion(measured) {
  const p = PRICES;
  const items = {
    worker_requests: p.worker_requests_per_million,
    worker_cpu: ASSUMED.cpu_ms_per_request * p.worker_cpu_ms_per_million,
    d1_rows_read: (measured.d1_rows_read ?? 0) * p.d1_rows_read_per_million,
    d1_rows_written: (measured.d1_rows_written ?? 0) * p.d1_rows_written_per_million,
    do_requests: (measured.object_calls ?? 0) * p.do_requests_per_million,
    do_duration: (measured.object_calls ?? 0) * ASSUMED.object_active_seconds_per_call * 0.125 * p.do_gb_seconds_per_million,
    do_rows_written: (measured.object_rows_written ?? 0) * p.do_sqlite_rows_written_per_million,
    kv_reads: (measured.kv_reads ?? 1) * p.kv_reads_per_million,
  };
  const rounded = Object.fromEntries(Object.entries(items).map(([k, v]) => [k, +v.toFixed(4)]));
  return { ...rounded, total: +Object.values(items).reduce((a, b) => a + b, 0).toFixed(4) };
}

export function costOf(habitCompletion, emptyPoll) {
  return {
    prices: PRICES,
    assumed: ASSUMED,
    "1M habit completions": perMillion(habitCompletion),
    "1M empty sync polls": perMillion(emptyPoll),
  };
}
