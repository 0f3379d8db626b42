#!/usr/bin/env bash
# Messages per second of the linear triage path, end to end: read the .eml
# file, parse the MIME (mail-parser), split quotes and signature, extract
# the references, TF-IDF features, classify, print one JSON line.
#
# Usage: bench/triage/run.sh [N]   (N messages, default 2000)
# Env:   CROSSDOCK_BIN (default: target/release/crossdock, else target/debug/crossdock
#        under $CARGO_TARGET_DIR or ./target), CROSSDOCK_SHARED_DATA (the
#        shared data folder, for bitext-dev.csv), CORE (pin to one core, default 0).
#
# The model is trained on bitext-dev's training split; the messages are the
# held-out rows wrapped as realistic e-mails (multipart/alternative text +
# HTML, a quoted history of three earlier messages, a signature, and a PDF
# attachment named after an invoice). Timing is the run with N messages minus
# the run with one (process start and model load), on one core.
set -euo pipefail
N=${1:-2000}
CORE=${CORE:-0}
root=$(cd "$(dirname "$0")/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=${CROSSDOCK_BIN:-}
if [ -z "$bin" ]; then
  if [ -x "$target/release/crossdock" ]; then bin=$target/release/crossdock; else bin=$target/debug/crossdock; fi
fi
data=${CROSSDOCK_SHARED_DATA:-$root/../shared/data}
csv=$data/triage/bitext-dev.csv
if [ ! -f "$csv" ]; then
  echo "SKIPPED: $csv is absent (set CROSSDOCK_SHARED_DATA)" >&2
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" triage split --input "$csv" --label-column intent --test-share 0.2 --seed 7 \
  --train-out "$work/train.csv" --test-out "$work/test.csv" >/dev/null
"$bin" triage train --input "$work/train.csv" --text-column instruction --label-column intent \
  --out "$work/model" >/dev/null
python3 - "$work/test.csv" "$work/mail" "$N" <<'PY'
import csv, os, sys, base64
src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [r["instruction"] for r in csv.DictReader(open(src, encoding="utf-8"))]
os.makedirs(out, exist_ok=True)
os.makedirs(out + "-one", exist_ok=True)
history = "".join(
    f"> On Mon, 2 Mar 2026 at 10:0{i}, Sales <sales@us.example> wrote:\n"
    f"> Thank you for your order S0004{i}. Your delivery WH/OUT/0001{i} is planned for Friday.\n"
    f"> Kind regards, the sales team\n>\n" for i in range(3))
pdf = base64.b64encode(b"%PDF-1.4\n" + b"0" * 3000).decode()
for i in range(n):
    text = rows[i % len(rows)]
    html = "<html><body><p>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</p><p>Regards,<br>Ana</p></body></html>"
    msg = (
        f"From: Ana Ruiz <ana{i}@customer.example>\nTo: service@us.example\n"
        f"Subject: Re: order S{10000 + i:05d}\nMessage-ID: <m{i}@customer.example>\n"
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"MIX\"\n\n"
        "--MIX\nContent-Type: multipart/alternative; boundary=\"ALT\"\n\n"
        "--ALT\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        f"{text}\n\nRegards,\nAna Ruiz\nRuiz Hardware\n\n{history}\n"
        f"--ALT\nContent-Type: text/html; charset=utf-8\n\n{html}\n--ALT--\n"
        f"--MIX\nContent-Type: application/pdf; name=\"INV_2026_{i:05d}.pdf\"\n"
        f"Content-Disposition: attachment; filename=\"INV_2026_{i:05d}.pdf\"\nContent-Transfer-Encoding: base64\n\n{pdf}\n--MIX--\n"
    )
    name = f"{out}/{i:06d}.eml"
    with open(name, "w", encoding="utf-8") as f:
        f.write(msg.replace("\n", "\r\n"))
    if i == 0:
        with open(f"{out}-one/000000.eml", "w", encoding="utf-8") as f:
            f.write(msg.replace("\n", "\r\n"))
PY
run() { # seconds of one classify run over $1
  local s e
  s=$(date +%s.%N)
  taskset -c "$CORE" "$bin" --data "$work/no-warehouse" triage classify --json --model "$work/model" "$1" >"$work/out.jsonl"
  e=$(date +%s.%N)
  echo "$e - $s" | bc -l
}
run "$work/mail-one" >/dev/null # warm the page cache
one=$(run "$work/mail-one")
all=$(run "$work/mail")
lines=$(wc -l <"$work/out.jsonl")
[ "$lines" -eq "$N" ] || { echo "expected $N lines, got $lines" >&2; exit 1; }
python3 - "$N" "$one" "$all" "$bin" <<'PY'
import sys
n, one, all_, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
per = (all_ - one) / (n - 1)
print(f"binary {b}")
print(f"{n} messages on one core: {all_:.2f} s total, {one:.3f} s for one (start + model load)")
print(f"linear path: {per * 1000:.3f} ms per message, {1 / per:.0f} messages per second per core (goal: <= 2 ms)")
PY
