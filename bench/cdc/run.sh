#!/usr/bin/env bash
# bench/cdc/run.sh: change-data-capture benchmark, PostgreSQL -> Delta.
#
#   bash bench/cdc/run.sh [--rows 1000000] [--rate 5000] [--seconds 60]
#                         [--batch-changes N] [--max-delay-ms MS]
#                         [--perf] [--keep] [--no-verify]
#
# In one run, against a throwaway database on the local PostgreSQL:
#   1. creates the tracked Odoo tables and a little master data
#      (`crossdock simulate --postgres --days 1 --orders-per-day 1`), the
#      workload functions (workload.sql), a publication, and two logical slots
#      (pgoutput) at the same point: crossdock's own slot, after its initial
#      snapshot, and a copy of it (pg_copy_logical_replication_slot);
#   2. writes a flat-out burst of --rows row changes (small Odoo-like
#      transactions of 10 changes each, half inserts, half updates);
#   3. drains the burst from the copy with pg_recvlogical to /dev/null (the
#      ceiling), then from crossdock's slot with `crossdock ingest` into Delta,
#      each alone on the machine; prints both rates and the ratio;
#   4. writes a steady --rate changes/s for --seconds (pgbench -R) while
#      `crossdock ingest` runs, and prints the freshness of those changes
#      (p50/p90/p99): per change, the time from its commit in PostgreSQL to
#      the moment the warehouse batch holding it was committed to Delta;
#   5. checks the warehouse against PostgreSQL (`crossdock verify`), then drops
#      the slots and the database, even on failure or Ctrl-C.
# --batch-changes / --max-delay-ms are passed to `crossdock ingest` (default:
# its own defaults); --perf profiles the crossdock drain with `perf record`;
# --keep keeps the warehouse and the logs.
#
# Environment: CROSSDOCK_BIN (default: the release build in
# $CARGO_TARGET_DIR or ~/.cache/crossdock/target-release), PGHOST (127.0.0.1),
# PGPORT (5432), PGUSER (postgres); the role needs CREATEDB and REPLICATION,
# and the server wal_level = logical. Needs psql, createdb, dropdb, pgbench,
# pg_recvlogical and python3 with the `deltalake` package.
# See docs/performance.md, section "CDC: PostgreSQL → Delta".
set -euo pipefail

ROWS=1000000
RATE=5000
SECONDS_STEADY=60
BATCH_CHANGES=""
MAX_DELAY_MS=""
PERF=0
KEEP=0
VERIFY=1
while [ $# -gt 0 ]; do
    case "$1" in
        --rows) ROWS=$2; shift 2 ;;
        --rate) RATE=$2; shift 2 ;;
        --seconds) SECONDS_STEADY=$2; shift 2 ;;
        --batch-changes) BATCH_CHANGES=$2; shift 2 ;;
        --max-delay-ms) MAX_DELAY_MS=$2; shift 2 ;;
        --perf) PERF=1; shift ;;
        --keep) KEEP=1; shift ;;
        --no-verify) VERIFY=0; shift ;;
        -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

HERE=$(cd "$(dirname "$0")" && pwd)
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
if [ -z "${CROSSDOCK_BIN:-}" ]; then
    for c in "${CARGO_TARGET_DIR:-/nonexistent}/release/crossdock" \
             "$HOME/.cache/crossdock/target-release/release/crossdock" \
             "$HOME/.cache/crossdock/target/release/crossdock"; do
        if [ -x "$c" ]; then CROSSDOCK_BIN=$c; break; fi
    done
fi
if [ ! -x "${CROSSDOCK_BIN:-}" ]; then
    echo "no release crossdock binary found: cargo build --release, or set CROSSDOCK_BIN" >&2
    exit 2
fi
for tool in psql createdb dropdb pgbench python3; do
    command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
[ -x "$PGBIN/pg_recvlogical" ] || PGBIN=$(dirname "$(command -v pg_recvlogical)")
python3 -c 'import deltalake' 2>/dev/null || { echo "python3 -m pip install deltalake" >&2; exit 2; }
if [ "$PERF" = 1 ]; then command -v perf >/dev/null || { echo "--perf needs perf" >&2; exit 2; }; fi

TAG=cdc_bench_$$
DB=$TAG
SLOT1=${TAG}_crossdock
SLOT2=${TAG}_recvlogical
PUB=$TAG
URL="postgresql://$PGUSER@$PGHOST:$PGPORT/$DB"
WORK=$(mktemp -d /tmp/cdc-bench.XXXXXX)
DATA=$WORK/warehouse
LAG_ORDERS=1000                      # each order is delivered 1000 orders after its confirmation
ROWS=$(( (ROWS + 19) / 20 * 20 ))    # whole orders: 10 inserts + 10 updates each
ORDERS=$(( (ROWS / 10 + LAG_ORDERS) / 2 ))
# `ingest --exit-when-idle S` also counts the time spent applying a full batch
# as idle (crossdock 0.1.0), so it can stop in the middle of a backlog when one
# apply takes longer than S: keep S well above the longest apply. The times
# reported do not include it (they end at the batch's applied_at).
IDLE=15
CHILDREN=()

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
now() { date +%s.%N; }
# the insert position: with synchronous_commit off the last commits may not be written yet
lsn() { psql_q -d "$DB" -c "SELECT pg_current_wal_insert_lsn()"; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }
# runs a command as a background child and waits for it: bash runs traps only
# between foreground commands, but interrupts `wait` at once
run() { "$@" & local pid=$!; CHILDREN+=("$pid"); wait "$pid"; }

cleanup() {
    local rc=$?
    set +e
    for pid in "${CHILDREN[@]}"; do kill "$pid" 2>/dev/null; done
    for pid in "${CHILDREN[@]}"; do wait "$pid" 2>/dev/null; done
    if psql_q -d postgres -c "SELECT 1" >/dev/null 2>&1; then
        # our own slots only; a session still holding one is ended first
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            left=$(psql_q -d postgres -c "SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('$SLOT1', '$SLOT2')")
            [ "$left" = 0 ] && break
            psql_q -d postgres -c "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots \
                WHERE slot_name IN ('$SLOT1', '$SLOT2') AND active_pid IS NOT NULL" >/dev/null
            sleep 0.5
            psql_q -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots \
                WHERE slot_name IN ('$SLOT1', '$SLOT2') AND NOT active" >/dev/null 2>&1
        done
        dropdb --if-exists --force "$DB" 2>/dev/null || dropdb --if-exists "$DB"
    fi
    if [ "$KEEP" = 1 ]; then
        echo "kept $WORK (warehouse and logs)"
    else
        rm -rf "$WORK"
    fi
    if [ $rc -ne 0 ]; then
        echo "benchmark FAILED (rc=$rc); slots and database dropped$([ "$KEEP" = 1 ] || echo "; --keep keeps the logs")" >&2
    fi
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# user+system CPU seconds of the children this shell reaped so far (`times`
# runs in this shell, not in a subshell: its output goes to file $1)
children_cpu() { times > "$1"; }
cpu_between() {
    python3 - "$1" "$2" <<'EOF'
import re, sys
def cpu(path):
    line = open(path).read().splitlines()[1]  # children's user and system time
    return sum(int(m) * 60 + float(s) for m, s in re.findall(r"(\d+)m([\d.]+)s", line))
print(f"{cpu(sys.argv[2]) - cpu(sys.argv[1]):.1f}")
EOF
}
# CPU seconds a process has used so far, from /proc
cpu_of() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat" 2>/dev/null; }
# machine-wide busy and steal CPU seconds so far (all cores, /proc/stat)
machine_cpu() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f %.2f", ($2+$3+$4+$7+$8)/hz, $9/hz}' /proc/stat; }
# CPU seconds used by everything else between two machine_cpu snapshots,
# given the CPU seconds of the processes we account for
others_cpu() { python3 -c "a='$1'.split(); b='$2'.split(); print(f'{float(b[0]) - float(a[0]) - ($3):.1f} s (steal {float(b[1]) - float(a[1]):.1f} s)')"; }
# samples the CPU time of the walsender serving slot $1 into file $2 until it
# ends (or until file $2.done appears, when the consumer ended before it was seen)
watch_walsender() {
    local slot=$1 out=$2 pid=""
    while [ -z "$pid" ]; do
        [ -e "$out.done" ] && return 0
        pid=$(psql_q -d postgres -c "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '$slot'" 2>/dev/null || true)
        [ -z "$pid" ] && sleep 0.05
    done
    while [ -e "/proc/$pid" ]; do
        cpu_of "$pid" > "$out.tmp" && mv "$out.tmp" "$out"
        sleep 0.2
    done
}
# peak resident memory (MB) of process $1, sampled into file $2 until it ends
watch_rss() {
    while [ -e "/proc/$1" ]; do
        awk '/^VmHWM/{printf "%d", $2 / 1024}' "/proc/$1/status" > "$2.tmp" 2>/dev/null && mv "$2.tmp" "$2"
        sleep 0.2
    done
}

echo "== crossdock CDC benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/{print $2}') GB RAM;" \
     "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "PostgreSQL: $(psql_q -d postgres -c 'SHOW server_version') at $PGHOST:$PGPORT;" \
     "crossdock: $("$CROSSDOCK_BIN" --version) ($CROSSDOCK_BIN)"
echo "work dir: $WORK"

# ---------------------------------------------------------------- 1. set-up
echo
echo "== 1. set-up: database $DB, publication $PUB, slots $SLOT1 and $SLOT2"
createdb "$DB"
run "$CROSSDOCK_BIN" --data "$DATA" simulate --postgres "$URL" --days 1 --orders-per-day 1 \
    > "$WORK/simulate.log" 2>&1 || { cat "$WORK/simulate.log"; exit 1; }
psql_q -d "$DB" -f "$HERE/workload.sql" > "$WORK/workload.log" 2>&1 || { cat "$WORK/workload.log"; exit 1; }
# crossdock creates the publication and its slot, and snapshots the master data
run "$CROSSDOCK_BIN" --data "$DATA" ingest --postgres "$URL" --slot "$SLOT1" --publication "$PUB" \
    --exit-when-idle 1 --status-every 0 > "$WORK/ingest-setup.log" 2>&1 \
    || { cat "$WORK/ingest-setup.log"; exit 1; }
# the second slot is a copy of the first: same confirmed position, same changes to come
psql_q -d "$DB" -c "SELECT pg_copy_logical_replication_slot('$SLOT1', '$SLOT2')" >/dev/null
psql_q -d "$DB" -c "SELECT slot_name, plugin, confirmed_flush_lsn FROM pg_replication_slots \
    WHERE slot_name IN ('$SLOT1', '$SLOT2') ORDER BY 1" | sed 's/^/  slot: /'

# ---------------------------------------------------------------- 2. burst
echo
echo "== 2. burst: $ROWS row changes ($ORDERS order confirmations of 10 inserts," \
     "$((ORDERS - LAG_ORDERS)) delivery validations of 10 updates; one transaction each)"
BURST_FROM=$(lsn)
t0=$(now)
run psql_q -d "$DB" -c "SET synchronous_commit = off" -c "CALL cdc_bench_burst($ORDERS, $LAG_ORDERS)"
t1=$(now)
BURST_TO=$(lsn)
WAL_MB=$(psql_q -d "$DB" -c "SELECT round(pg_wal_lsn_diff('$BURST_TO', '$BURST_FROM') / 1048576.0)")
echo "written in $(secs "$t0" "$t1") s by one session (synchronous_commit off): WAL $BURST_FROM .. $BURST_TO, $WAL_MB MB"

# ---------------------------------------------------------------- 3. drain
echo
echo "== 3. drain the burst, each consumer alone"
watch_walsender "$SLOT2" "$WORK/walsender-recv.cpu" & CHILDREN+=($!)
children_cpu "$WORK/times.0"
c0=$(machine_cpu)
t0=$(now)
run "$PGBIN/pg_recvlogical" -d "$DB" --start -S "$SLOT2" -P pgoutput --no-loop \
    -o proto_version=1 -o publication_names="$PUB" -f /dev/null --endpos "$BURST_TO"
t1=$(now)
c1=$(machine_cpu)
children_cpu "$WORK/times.1"
touch "$WORK/walsender-recv.cpu.done"
wait "${CHILDREN[-1]}" 2>/dev/null || true
RECV_S=$(secs "$t0" "$t1")
RECV_CPU=$(cpu_between "$WORK/times.0" "$WORK/times.1")
RECV_WS=$(cat "$WORK/walsender-recv.cpu" 2>/dev/null || echo 0)
psql_q -d "$DB" -c "SELECT pg_drop_replication_slot('$SLOT2')" >/dev/null
echo "pg_recvlogical: $RECV_S s (its own CPU ${RECV_CPU} s; walsender CPU ${RECV_WS} s;" \
     "rest of the machine $(others_cpu "$c0" "$c1" "$RECV_CPU + $RECV_WS"))"

INGEST_OPTS=()
[ -n "$BATCH_CHANGES" ] && INGEST_OPTS+=(--batch-changes "$BATCH_CHANGES")
[ -n "$MAX_DELAY_MS" ] && INGEST_OPTS+=(--max-delay-ms "$MAX_DELAY_MS")
WRAP=()
[ "$PERF" = 1 ] && WRAP=(perf record -F 499 -g -o "$WORK/perf.data" --)
watch_walsender "$SLOT1" "$WORK/walsender-ingest.cpu" & CHILDREN+=($!)
children_cpu "$WORK/times.2"
c0=$(machine_cpu)
T0=$(now)
"${WRAP[@]}" "$CROSSDOCK_BIN" -v --data "$DATA" ingest --postgres "$URL" --slot "$SLOT1" \
    --publication "$PUB" --exit-when-idle "$IDLE" --status-every 2 "${INGEST_OPTS[@]}" \
    > "$WORK/ingest-burst.log" 2>&1 &
ING_PID=$!
CHILDREN+=("$ING_PID")
if [ "$PERF" = 1 ]; then echo "n/a under perf," > "$WORK/ingest.rss"; else watch_rss "$ING_PID" "$WORK/ingest.rss" & fi
wait "$ING_PID" || { tail -30 "$WORK/ingest-burst.log"; exit 1; }
c1=$(machine_cpu)
children_cpu "$WORK/times.3"
touch "$WORK/walsender-ingest.cpu.done"
wait
grep -E "changes applied|^ingested" "$WORK/ingest-burst.log" | grep -v "(0/s)" | sed 's/^/  ingest: /'
python3 "$HERE/analyze.py" burst "$DATA" --from "$BURST_FROM" --to "$BURST_TO" --t0 "$T0" \
    > "$WORK/burst.out" 2> "$WORK/breakdown.out" || { cat "$WORK/breakdown.out"; exit 1; }
# shellcheck disable=SC1091
. "$WORK/burst.out"
ING_CPU=$(cpu_between "$WORK/times.2" "$WORK/times.3")
ING_WS=$(cat "$WORK/walsender-ingest.cpu" 2>/dev/null || echo 0)
echo "crossdock ingest: $crossdock_seconds s from start until the last change was committed to Delta" \
     "($crossdock_changes changes in $crossdock_batches batches; crossdock CPU $ING_CPU s," \
     "peak RSS $(cat "$WORK/ingest.rss" 2>/dev/null || echo ?) MB; walsender CPU $ING_WS s;" \
     "rest of the machine, over the whole run including the $IDLE s idle wait:" \
     "$(others_cpu "$c0" "$c1" "$ING_CPU + $ING_WS"))"
cat "$WORK/breakdown.out"
if [ "$crossdock_changes" != "$ROWS" ]; then
    echo "error: crossdock applied $crossdock_changes changes of the burst, expected $ROWS" >&2
    exit 1
fi
if [ "$PERF" = 1 ]; then
    echo "perf: CPU samples of the crossdock process by component (self time; perf slows the run)"
    perf report -i "$WORK/perf.data" --no-children --sort sym -g none --stdio > "$WORK/perf.txt" 2>/dev/null || true
    python3 "$HERE/perf_buckets.py" < "$WORK/perf.txt"
fi

# ---------------------------------------------------------------- 4. steady
TPS=$(python3 -c "print(f'{$RATE / 10:g}')")
echo
echo "== 4. steady: $RATE changes/s ($TPS transactions/s of 10 changes, half confirmations," \
     "half deliveries; pgbench -R, 4 clients, synchronous_commit on) for $SECONDS_STEADY s while crossdock ingest runs"
"$CROSSDOCK_BIN" --data "$DATA" ingest --postgres "$URL" --slot "$SLOT1" --publication "$PUB" \
    --exit-when-idle "$IDLE" --status-every 10 "${INGEST_OPTS[@]}" > "$WORK/ingest-steady.log" 2>&1 &
ING_PID=$!
CHILDREN+=("$ING_PID")
for _ in $(seq 1 300); do
    grep -q "resuming from" "$WORK/ingest-steady.log" && break
    kill -0 "$ING_PID" 2>/dev/null || { cat "$WORK/ingest-steady.log"; exit 1; }
    sleep 0.1
done
sleep 1
STEADY_FROM=$(lsn)
run pgbench -n -c 4 -j 2 -R "$TPS" -T "$SECONDS_STEADY" -f "$HERE/confirm.sql@1" -f "$HERE/deliver.sql@1" \
    "$DB" > "$WORK/pgbench.log" 2>&1 || { cat "$WORK/pgbench.log"; exit 1; }
STEADY_TO=$(lsn)
grep -E "^(number of transactions actually|latency average|rate limit schedule lag|tps)" \
    "$WORK/pgbench.log" | sed 's/^/  pgbench: /'
wait "$ING_PID" || { tail -20 "$WORK/ingest-steady.log"; exit 1; }
grep -E "changes applied|^ingested" "$WORK/ingest-steady.log" | grep -v "(0/s)" | sed 's/^/  ingest: /'
python3 "$HERE/analyze.py" steady "$DATA" --from "$STEADY_FROM" --to "$STEADY_TO" > "$WORK/steady.out" \
    2> "$WORK/steady.err" || { cat "$WORK/steady.err"; exit 1; }
sed 's/^/  /' "$WORK/steady.err"
# shellcheck disable=SC1091
. "$WORK/steady.out"

# ---------------------------------------------------------------- 5. check
if [ "$VERIFY" = 1 ]; then
    echo
    echo "== 5. crossdock verify (warehouse = PostgreSQL?)"
    t0=$(now)
    run "$CROSSDOCK_BIN" --data "$DATA" verify --postgres "$URL" > "$WORK/verify.log" 2>&1 \
        || { cat "$WORK/verify.log"; echo "error: the warehouse differs from PostgreSQL" >&2; exit 1; }
    tail -1 "$WORK/verify.log" | sed 's/^/  /'
    echo "  ($(secs "$t0" "$(now)") s)"
fi

# ---------------------------------------------------------------- results
python3 - "$ROWS" "$RECV_S" "$crossdock_seconds" <<'EOF'
import sys
rows, recv, cd = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
r_recv, r_cd = rows / recv, rows / cd
print()
print("== results")
print(f"burst, {rows} row changes:")
print(f"  pg_recvlogical (ceiling) {recv:8.2f} s  {r_recv:10,.0f} changes/s")
print(f"  crossdock ingest → Delta {cd:8.2f} s  {r_cd:10,.0f} changes/s")
ratio = r_cd / r_recv
print(f"  ratio crossdock / pg_recvlogical = {ratio:.3f}   (goal ≥ 0.8: {'met' if ratio >= 0.8 else 'NOT met'})")
EOF
echo "steady, $steady_changes changes in $steady_transactions transactions at $steady_source_rate changes/s" \
     "(applied in $steady_batches batches, $steady_mean_batch changes each on average):"
echo "  freshness (commit in PostgreSQL → committed to Delta), per change:" \
     "p50 ${freshness_p50} s, p90 ${freshness_p90} s, p99 ${freshness_p99} s, max ${freshness_max} s" \
     "  (goal p99 ≤ 2 s: $(python3 -c "print('met' if $freshness_p99 <= 2 else 'NOT met')"))"
echo "  per-batch lag (applied_at − source_commit_ts of the batch's last transaction), weighted by changes:" \
     "p50 ${batchlag_p50} s, p99 ${batchlag_p99} s; time between batch commits p50 ${apply_interval_p50} s, max ${apply_interval_max} s"
