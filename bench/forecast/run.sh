#!/usr/bin/env bash
# The forecasting benchmark: the same series, holdout protocol and method
# list through statsforecast (PyPI) and through crossdock, side by side.
#
#   bench/forecast/run.sh [FILE] [HORIZON] [SEASON]
#
# Defaults: ../shared/data/demand/carparts-dev.csv, 6, 12. Needs python3
# (a venv with statsforecast is made in $VENV, default
# /root/.cache/crossdock/venv-statsforecast) and builds the release binary.
# Prints accuracy (MASE / RMSSE / bias per method), the time each side took
# to fit and forecast (statsforecast timed after its numba warm-up), the
# speed ratio and each side's peak RSS. Results are in docs/performance.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
file="${1:-$root/../shared/data/demand/carparts-dev.csv}"
h="${2:-6}"
season="${3:-12}"
venv="${VENV:-/root/.cache/crossdock/venv-statsforecast}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/crossdock/target}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

[ -f "$file" ] || { echo "no such file: $file" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import statsforecast, psutil' 2>/dev/null; then
  echo "making $venv with statsforecast (pip) ..." >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q 'statsforecast==2.1.1' psutil
fi

echo "building the release binary ..." >&2
(cd "$root" && cargo build --release --bin crossdock -q)
bin="$CARGO_TARGET_DIR/release/crossdock"

echo "statsforecast ..." >&2
/usr/bin/time -v -o "$out/sf.time" "$venv/bin/python" "$here/sf_backtest.py" "$file" "$h" "$season" \
  > "$out/sf.json" 2> "$out/sf.err" || { cat "$out/sf.err" >&2; exit 1; }
echo "crossdock ..." >&2
/usr/bin/time -v -o "$out/cd.time" "$bin" forecast backtest --input "$file" --horizon "$h" --season "$season" --json \
  > "$out/cd.json"

"$venv/bin/python" - "$out" "$file" "$h" "$season" <<'PY'
import json, re, sys
out, file, h, season = sys.argv[1:]
sf = json.load(open(f"{out}/sf.json"))
cd = json.load(open(f"{out}/cd.json"))
def rss(path):
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", open(path).read())
    return int(m.group(1)) / 1024
def wall(path):
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", open(path).read())
    parts = [float(p) for p in m.group(1).split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
print(f"{file}: horizon {h}, season {season}")
print(f"series: statsforecast {sf['series']}, crossdock used {cd['series']['used']} "
      f"(too short {cd['series']['skipped_too_short']}, zero scale {cd['series']['skipped_zero_scale']})")
print()
print(f"| method | statsforecast model | MASE sf | MASE cd | RMSSE sf | RMSSE cd | bias sf | bias cd | sf non-finite |")
print(f"|---|---|---|---|---|---|---|---|---|")
fmt = lambda v: "–" if v is None else f"{v:.4f}"
pct = lambda v: "–" if v is None else f"{100 * v:+.1f}%"
for name, s in sf["overall"].items():
    c = cd["overall"].get(name, {})
    print(f"| {name} | {s['statsforecast']} | {fmt(s['mase'])} | {fmt(c.get('mase'))} | "
          f"{fmt(s['rmsse'])} | {fmt(c.get('rmsse'))} | {pct(s['bias'])} | {pct(c.get('bias'))} | {s.get('non_finite', 0)} |")
a = cd["overall"]["auto"]
print(f"| auto (crossdock only) | – | – | {fmt(a['mase'])} | – | {fmt(a['rmsse'])} | – | {pct(a['bias'])} | – |")
print()
print("sf non-finite: series whose statsforecast forecast had NaN (SeasonalNaive on a history")
print("shorter than a season), scored with the naive forecast there, as crossdock does")
print()
print(f"fit + forecast, the {len(sf['overall']) - 1} fitted methods: statsforecast {sf['seconds']:.2f} s, "
      f"crossdock {cd['seconds_methods']:.3f} s (+ auto {cd['seconds_auto']:.3f} s)")
print(f"speed ratio (statsforecast / crossdock, methods only): {sf['seconds'] / cd['seconds_methods']:.1f}x; "
      f"with auto: {sf['seconds'] / cd['seconds']:.1f}x")
print(f"whole process: statsforecast {wall(out + '/sf.time'):.1f} s wall, peak RSS {rss(out + '/sf.time'):.0f} MiB; "
      f"crossdock {wall(out + '/cd.time'):.2f} s wall, peak RSS {rss(out + '/cd.time'):.0f} MiB")
PY
