#!/usr/bin/env python3
"""bench/cdc/analyze.py: reads the warehouse a benchmark run filled and prints
what run.sh reports. Needs the `deltalake` package (no pyarrow needed).

  analyze.py burst  DATA --from LSN --to LSN --t0 EPOCH_S
      end-to-end time of the burst: from t0 (ingest started) to the
      applied_at of the checkpoint that covers the burst's last commit; plus a
      breakdown of the run from the Delta logs (commit times and MERGE metrics).
  analyze.py steady DATA --from LSN --to LSN
      freshness of every change committed in (from, to]: applied_at of the
      batch that made it queryable minus its own source commit time.
"""
import argparse
import glob
import json
import os
import sys

from deltalake import DeltaTable, QueryBuilder

TABLES = ["sale_order", "stock_picking", "sale_order_line", "stock_move"]


def lsn(text):
    hi, lo = text.split("/")
    return (int(hi, 16) << 32) | int(lo, 16)


def query(sql, **tables):
    qb = QueryBuilder()
    for name, path in tables.items():
        qb = qb.register(name, DeltaTable(path))
    table = qb.execute(sql).read_all()
    cols = [table.column(i).to_pylist() for i in range(table.num_columns)]
    names = table.schema.names
    return [dict(zip(names, row)) for row in zip(*cols)] if cols else []


def checkpoints(data, lo, hi):
    """Batches whose end position is in (lo, hi], ordered."""
    return query(
        "SELECT position, arrow_cast(source_commit_ts, 'Int64') AS commit_us, "
        "arrow_cast(applied_at, 'Int64') AS applied_us, transactions, changes "
        f"FROM ck WHERE position > {lo} AND position <= {hi} ORDER BY position",
        ck=os.path.join(data, "_crossdock", "checkpoints"),
    )


def first_checkpoint_at_or_after(data, pos):
    rows = query(
        "SELECT position, arrow_cast(applied_at, 'Int64') AS applied_us, changes "
        f"FROM ck WHERE position >= {pos} ORDER BY position LIMIT 1",
        ck=os.path.join(data, "_crossdock", "checkpoints"),
    )
    return rows[0] if rows else None


def pct(sorted_pairs, total, q):
    """Weighted percentile (nearest rank) of (value, weight) pairs sorted by value."""
    rank = q * total
    acc = 0
    for v, w in sorted_pairs:
        acc += w
        if acc >= rank:
            return v
    return sorted_pairs[-1][0]


def delta_log(path):
    """(timestamp ms, operation, txn version, metrics) of every commit of a Delta table."""
    out = []
    for f in sorted(glob.glob(os.path.join(path, "_delta_log", "*.json"))):
        ts = op = ver = None
        metrics = {}
        with open(f) as fh:
            for line in fh:
                a = json.loads(line)
                if "commitInfo" in a:
                    ci = a["commitInfo"]
                    ts, op = ci.get("timestamp"), ci.get("operation")
                    metrics = ci.get("operationMetrics") or {}
                elif "txn" in a and a["txn"].get("appId") == "crossdock":
                    ver = a["txn"]["version"]
        out.append((ts, op, ver, metrics))
    return out


def breakdown(data, lo, hi, t0_ms, end_ms):
    """Where the time of the burst drain went, from the Delta commit times:
    every commit of the run ordered by time; a commit's duration is the time
    since the previous commit (the first commit of a batch also carries the
    time spent receiving, decoding and gathering that batch)."""
    commits = []
    for t in TABLES:
        for kind in ("changes", "current"):
            for ts, op, ver, m in delta_log(os.path.join(data, kind, t)):
                if ts is None or ts < t0_ms or ts > end_ms + 60_000:
                    continue
                commits.append((ts, kind, t, op, ver, m))
    for ts, op, ver, m in delta_log(os.path.join(data, "_crossdock", "checkpoints")):
        if ts is not None and t0_ms <= ts <= end_ms + 60_000:
            commits.append((ts, "checkpoint", "", op, ver, m))
    commits.sort(key=lambda c: c[0])
    cats = {}
    prev = t0_ms
    prev_kind = "start"
    batches = 0
    merge_scan = merge_rewrite = merge_exec = 0
    files_scanned = files_skipped = 0
    for ts, kind, t, op, ver, m in commits:
        if ts > end_ms:
            break
        d = ts - prev
        if prev_kind in ("checkpoint", "start"):
            key = "receive + decode + gather a batch, then its first change-log append"
            batches += 1
        elif op == "OPTIMIZE":
            key = "compaction (OPTIMIZE every 50 commits per table)"
        elif kind == "changes":
            key = "append to changes/<table>"
        elif kind == "current" and op == "MERGE":
            key = "MERGE into current/<table>"
            merge_exec += int(m.get("execution_time_ms", 0) or 0)
            merge_scan += int(m.get("scan_time_ms", 0) or 0)
            merge_rewrite += int(m.get("rewrite_time_ms", 0) or 0)
            files_scanned += int(m.get("num_target_files_scanned", 0) or 0)
            files_skipped += int(m.get("num_target_files_skipped_during_scan", 0) or 0)
        elif kind == "current":
            key = "append to current/<table> (first load of a table)"
        else:
            key = "checkpoint commit"
        cats[key] = cats.get(key, 0) + d
        prev, prev_kind = ts, kind
    return cats, batches, (merge_exec, merge_scan, merge_rewrite, files_scanned, files_skipped)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["burst", "steady"])
    ap.add_argument("data")
    ap.add_argument("--from", dest="lo", required=True)
    ap.add_argument("--to", dest="hi", required=True)
    ap.add_argument("--t0", type=float)
    args = ap.parse_args()
    lo, hi = lsn(args.lo), lsn(args.hi)

    if args.mode == "burst":
        # the burst's last commit ends at or before `hi`; the first batch
        # whose end position reaches the last change of the burst covers it
        last = query(
            "SELECT max(p) AS p FROM (" + " UNION ALL ".join(
                f"SELECT max(_position) AS p FROM {t} WHERE _position > {lo} AND _position <= {hi}"
                for t in TABLES) + ")",
            **{t: os.path.join(args.data, "changes", t) for t in TABLES},
        )[0]["p"]
        if last is None:
            print("error: no change of the burst is in the warehouse", file=sys.stderr)
            sys.exit(1)
        ck = first_checkpoint_at_or_after(args.data, last)
        batches = checkpoints(args.data, lo, last)
        changes = sum(b["changes"] for b in batches)
        t0_us = int(args.t0 * 1e6)
        secs = (ck["applied_us"] - t0_us) / 1e6
        print(f"crossdock_seconds={secs:.3f}")
        print(f"crossdock_changes={changes}")
        print(f"crossdock_batches={len(batches)}")
        cats, n, (mx, ms, mr, fs, fk) = breakdown(
            args.data, lo, last, int(args.t0 * 1000), ck["applied_us"] // 1000)
        total = sum(cats.values())
        print("breakdown: wall time of the drain by Delta commit (ms, share)", file=sys.stderr)
        for k, v in sorted(cats.items(), key=lambda kv: -kv[1]):
            print(f"  {v:8d} ms {100 * v / max(total, 1):5.1f} %  {k}", file=sys.stderr)
        print(f"  {total:8d} ms total, {n} batches", file=sys.stderr)
        if mx:
            print(f"  MERGE metrics: execution {mx} ms (scan {ms} ms, rewrite {mr} ms); "
                  f"target files scanned {fs}, skipped {fk}", file=sys.stderr)
        return

    # steady: per change, applied_at(batch that made it queryable) - its commit time
    batches = checkpoints(args.data, lo, (1 << 63) - 1)
    per_tx = query(
        "SELECT _position AS p, arrow_cast(_commit_ts, 'Int64') AS c, count(*) AS n FROM (" +
        " UNION ALL ".join(
            f"SELECT _position, _commit_ts FROM {t} WHERE _position > {lo} AND _position <= {hi}"
            for t in TABLES) + ") GROUP BY _position, _commit_ts ORDER BY _position",
        **{t: os.path.join(args.data, "changes", t) for t in TABLES},
    )
    exact = []
    i = 0
    for tx in per_tx:
        while i < len(batches) and batches[i]["position"] < tx["p"]:
            i += 1
        if i == len(batches):
            print(f"error: change at {tx['p']} has no checkpoint", file=sys.stderr)
            sys.exit(1)
        exact.append(((batches[i]["applied_us"] - tx["c"]) / 1e6, tx["n"]))
    exact.sort()
    n = sum(w for _, w in exact)
    inwin = [b for b in batches if b["position"] <= batches[i]["position"]] if batches else []
    per_batch = sorted(((b["applied_us"] - b["commit_us"]) / 1e6, b["changes"]) for b in inwin)
    nb = sum(w for _, w in per_batch)
    first_c = min(tx["c"] for tx in per_tx)
    last_c = max(tx["c"] for tx in per_tx)
    span = (last_c - first_c) / 1e6
    print(f"steady_changes={n}")
    print(f"steady_transactions={len(per_tx)}")
    print(f"steady_source_rate={n / span if span > 0 else 0:.0f}")
    print(f"steady_batches={len(inwin)}")
    print(f"steady_mean_batch={nb / max(len(inwin), 1):.0f}")
    for q in (0.5, 0.9, 0.99):
        print(f"freshness_p{int(q * 100)}={pct(exact, n, q):.3f}")
    print(f"freshness_max={exact[-1][0]:.3f}")
    for q in (0.5, 0.99):
        print(f"batchlag_p{int(q * 100)}={pct(per_batch, nb, q):.3f}")
    # how long applying took, per batch: time between consecutive applied_at
    gaps = sorted((inwin[k]["applied_us"] - inwin[k - 1]["applied_us"]) / 1e6
                  for k in range(1, len(inwin)))
    if gaps:
        print(f"apply_interval_p50={gaps[len(gaps) // 2]:.3f}")
        print(f"apply_interval_max={gaps[-1]:.3f}")
    if len(inwin) > 2:
        # from the first batch's checkpoint to the last one's: every later batch
        cats, nb2, (mx, ms, mr, fs, fk) = breakdown(
            args.data, lo, hi, inwin[0]["applied_us"] // 1000 + 1, inwin[-1]["applied_us"] // 1000)
        total = sum(cats.values())
        print(f"breakdown of the steady phase after its first batch ({nb2} batches): "
              "wall time by Delta commit (ms, share)", file=sys.stderr)
        for k, v in sorted(cats.items(), key=lambda kv: -kv[1]):
            k = k.replace("receive + decode + gather a batch", "wait for changes (--max-delay-ms), receive, decode, gather")
            print(f"  {v:8d} ms {100 * v / max(total, 1):5.1f} %  {k}", file=sys.stderr)
        if mx:
            print(f"  MERGE metrics: execution {mx} ms (scan {ms} ms, rewrite {mr} ms); "
                  f"target files scanned {fs}, skipped {fk}", file=sys.stderr)


if __name__ == "__main__":
    main()
