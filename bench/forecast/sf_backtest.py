"""statsforecast on crossdock's backtest protocol (bench/forecast/run.sh).

Reads the same wide CSV as `crossdock forecast backtest`, trims leading and
trailing blanks the same way, holds out the last H observations of each
series, skips the same series (too short: n <= H or fewer than 2 training
values; zero scale: constant training part), fits the statsforecast models
on the rest and forecasts H. Scores are computed here exactly as crossdock
computes them (MASE, RMSSE, bias = sum(f - a) / sum(a)). The timed part is
`StatsForecast.forecast` alone, after a warm-up fit on a small slice that
compiles numba's functions.

Prints one JSON object on stdout.
"""

import csv
import json
import sys
import time

import numpy as np
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    CrostonClassic,
    CrostonOptimized,
    CrostonSBA,
    Holt,
    Naive,
    SeasonalNaive,
    SimpleExponentialSmoothingOptimized,
)


def read_wide(path):
    out = []
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            cells = [c.strip() for c in row[1:]]
            filled = [i for i, c in enumerate(cells) if c != ""]
            if not filled:
                raise SystemExit(f"{path}: series {row[0]} has no value")
            vals = cells[filled[0] : filled[-1] + 1]
            if any(c == "" for c in vals):
                raise SystemExit(f"{path}: series {row[0]} has a gap")
            out.append((row[0], np.array([float(c) for c in vals])))
    return out


def main():
    path, h, season = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    data = read_wide(path)
    train_rows, tests, scales, used, last = [], {}, {}, [], {}
    skipped_short = skipped_zero = 0
    for sid, y in data:
        n = len(y)
        if n <= h or n - h < 2:
            skipped_short += 1
            continue
        tr, te = y[: n - h], y[n - h :]
        d = np.diff(tr)
        mae, mse = np.abs(d).mean(), (d * d).mean()
        if mae <= 0:
            skipped_zero += 1
            continue
        used.append(sid)
        tests[sid] = te
        last[sid] = tr[-1]
        scales[sid] = (mae, mse)
        for t, v in enumerate(tr):
            train_rows.append((sid, t + 1, v))
    df = pd.DataFrame(train_rows, columns=["unique_id", "ds", "y"])

    # crossdock name -> statsforecast model (docs/performance.md has the table)
    models = {
        "naive": Naive(),
        "seasonal_naive": SeasonalNaive(season_length=season),
        "ses": SimpleExponentialSmoothingOptimized(),
        "holt": Holt(season_length=season),
        "damped_holt": AutoETS(season_length=season, model="AAN", damped=True, alias="DampedHolt"),
        "auto_ets": AutoETS(season_length=season),
        "croston": CrostonClassic(),
        "croston_optimized": CrostonOptimized(),
        "sba": CrostonSBA(),
        "tsb": TSB(alpha_d=0.1, alpha_p=0.1),
        "adida": ADIDA(),
        "imapa": IMAPA(),
    }
    alias = {k: (m.alias if hasattr(m, "alias") else repr(m)) for k, m in models.items()}

    def make():
        return StatsForecast(
            models=list(models.values()),
            freq=1,
            n_jobs=1,
            fallback_model=SimpleExponentialSmoothingOptimized(),
        )

    # warm-up: numba compiles on first use; not timed
    first = used[: min(20, len(used))]
    make().forecast(df=df[df.unique_id.isin(first)], h=h)

    t0 = time.perf_counter()
    fc = make().forecast(df=df, h=h)
    seconds = time.perf_counter() - t0

    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    fc = fc.sort_values(["unique_id", "ds"])
    result = {}
    for name, col in alias.items():
        mase, rmsse, serr, act, nan = [], [], 0.0, 0.0, 0
        for sid, grp in fc.groupby("unique_id", sort=False):
            f = grp[col].to_numpy(dtype=float)
            a = tests[sid]
            if not np.all(np.isfinite(f)):
                # SeasonalNaive leaves NaN where the history is shorter than
                # a season; crossdock falls back to naive there: do the same
                nan += 1
                f = np.where(np.isfinite(f), f, last[sid])
            mae_s, mse_s = scales[sid]
            e = f - a
            mase.append(np.abs(e).mean() / mae_s)
            rmsse.append(np.sqrt((e * e).mean() / mse_s))
            serr += e.sum()
            act += a.sum()
        result[name] = {
            "mase": float(np.mean(mase)),
            "rmsse": float(np.mean(rmsse)),
            "bias": float(serr / act) if act > 0 else None,
            "series": len(mase),
            "non_finite": nan,
            "statsforecast": col,
        }
    # zero needs no fitting: scored here for the side-by-side table
    mase = [np.abs(tests[s]).mean() / scales[s][0] for s in used]
    rmsse = [np.sqrt((tests[s] ** 2).mean() / scales[s][1]) for s in used]
    result["zero"] = {"mase": float(np.mean(mase)), "rmsse": float(np.mean(rmsse)), "bias": -1.0,
                      "series": len(used), "statsforecast": "(none: computed)"}
    json.dump(
        {
            "overall": result,
            "seconds": seconds,
            "series": {"total": len(data), "used": len(used),
                       "skipped_too_short": skipped_short, "skipped_zero_scale": skipped_zero},
        },
        sys.stdout,
        indent=1,
    )
    print()


if __name__ == "__main__":
    main()
