#!/usr/bin/env python3
"""bench/cdc/perf_buckets.py: groups `perf report --no-children --sort sym -g none
--stdio` output (stdin) by component, by self time."""
import re
import sys

BUCKETS = [
    ("pgoutput decoding, text → values (crossdock_ingest::postgres)", r"crossdock_ingest::postgres"),
    ("building Arrow batches (crossdock_ingest::change)", r"crossdock_ingest::change|PendingTable"),
    ("replication protocol, byte buffers (pgwire_replication, bytes, tokio-postgres)",
     r"pgwire|bytes::|tokio_postgres|postgres_protocol"),
    ("Parquet encoding/decoding, compression", r"parquet|snap::|zstd|brotli|lz4|flate|thrift"),
    ("DataFusion / Arrow compute (MERGE join, reduce, filters)", r"datafusion|arrow|hashbrown|ahash"),
    ("delta-rs, object store, JSON log", r"deltalake|delta_kernel|object_store|serde_json"),
    ("malloc / free / memcpy (not attributed)", r"malloc|free|memmove|memcpy|memcmp|memset|realloc|_int_|unlink_chunk|consolidate"),
    ("tokio runtime", r"tokio"),
]

totals = {}
for line in sys.stdin:
    m = re.match(r"\s*([\d.]+)%\s+\[(.)\]\s+(.*)", line)
    if not m:
        continue
    share, kind, sym = float(m.group(1)), m.group(2), m.group(3)
    name = "kernel (syscalls, scheduling, page faults, network)" if kind == "k" else None
    if name is None:
        for label, pattern in BUCKETS:
            if re.search(pattern, sym):
                name = label
                break
    name = name or "other (generic Rust: Vec, String, iterators, inlined everywhere)"
    totals[name] = totals.get(name, 0) + share
for name, share in sorted(totals.items(), key=lambda kv: -kv[1]):
    print(f"  {share:5.1f} %  {name}")
