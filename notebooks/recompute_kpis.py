# %% [markdown]
# # Recomputing crossdock's KPIs with polars
#
# An analyst's notebook (plain Python with `# %%` cells: open it in Jupyter
# with jupytext, VS Code or PyCharm, or run it as a script). It reads the
# warehouse's current-state Delta tables with **polars** — not with crossdock —
# recomputes the KPIs by sales channel from Odoo's columns, following
# `docs/kpis.md`, and compares them with `crossdock kpi --format json`.
#
#     python notebooks/recompute_kpis.py ./crossdock-data kpis.json
#
# where `kpis.json` came from `crossdock kpi --by channel --format json`.
# Exits non-zero and lists the differences when a number disagrees.

# %%
import json
import sys
from decimal import Decimal

import polars as pl

root = sys.argv[1] if len(sys.argv) > 1 else "./crossdock-data"
report_path = sys.argv[2] if len(sys.argv) > 2 else None


def table(name: str) -> pl.DataFrame:
    return pl.read_delta(f"{root}/current/{name}")


def us(col: str) -> pl.Expr:
    """A UTC timestamp column as microseconds since the epoch."""
    return pl.col(col).dt.epoch("us")


# %% [markdown]
# ## Confirmed lines, their channel and their deadline

# %%
orders = table("sale_order").filter(pl.col("state") == "sale")
teams = table("crm_team").select(pl.col("id").alias("team_id"), pl.col("name_en_us").alias("channel"))
lines = (
    table("sale_order_line")
    .filter(pl.col("display_type").is_null() & ~pl.col("is_downpayment").fill_null(False))
    .join(
        orders.select(
            pl.col("id").alias("order_id"),
            "team_id",
            us("date_order").alias("confirmed_us"),
            us("commitment_date").alias("commitment_us"),
        ),
        on="order_id",
    )
    .join(teams, on="team_id", how="left")
    .with_columns(
        pl.coalesce(
            "commitment_us",
            pl.col("confirmed_us") + (pl.col("customer_lead") * 86_400_000_000).cast(pl.Int64),
        ).alias("deadline_us")
    )
)

# %% [markdown]
# ## Customer deliveries: done moves into a customer location, not returns

# %%
customer_locations = table("stock_location").filter(pl.col("usage") == "customer").select(pl.col("id"))
deliveries = (
    table("stock_move")
    .filter(
        (pl.col("state") == "done")
        & pl.col("origin_returned_move_id").is_null()
        & pl.col("sale_line_id").is_not_null()
        & pl.col("location_dest_id").is_in(customer_locations["id"].implode())
    )
    .select(pl.col("sale_line_id").alias("id"), us("date").alias("done_us"), "quantity")
)
first = deliveries.group_by("id").agg(
    pl.col("done_us").min().alias("first_us"),
    pl.col("done_us").max().alias("last_us"),
    pl.col("quantity").sum().alias("delivered"),
)
first_qty = (
    deliveries.join(first, on="id")
    .filter(pl.col("done_us") == pl.col("first_us"))
    .group_by("id")
    .agg(pl.col("quantity").sum().alias("first_qty"))
)
on_time = (
    deliveries.join(lines.select("id", "deadline_us"), on="id")
    .filter(pl.col("done_us") <= pl.col("deadline_us"))
    .group_by("id")
    .agg(pl.col("quantity").sum().alias("on_time"))
)
facts = lines.join(first, on="id", how="left").join(first_qty, on="id", how="left").join(on_time, on="id", how="left")

# %% [markdown]
# ## The KPIs by channel

# %%
as_of = pl.read_delta(f"{root}/_crossdock/checkpoints").select(us("source_commit_ts").max()).item()
policy = json.load(open(f"{root}/_crossdock/settings.json"))
templates = table("product_template").select(pl.col("id").alias("tmpl"), "list_price")
products = table("product_product").select(pl.col("id").alias("product_id"), pl.col("product_tmpl_id").alias("tmpl"))
facts = facts.join(products, on="product_id", how="left").join(templates, on="tmpl", how="left")

D = lambda v: Decimal(str(v)) if v is not None else Decimal(0)  # noqa: E731
ours = {}
for channel, group in facts.group_by("channel"):
    channel = channel[0]
    rows = group.to_dicts()
    shipped = [r for r in rows if r["first_us"] is not None]
    filled = [r for r in shipped if D(r["first_qty"]) >= D(r["product_uom_qty"])]
    by_order = {}
    for r in rows:
        by_order.setdefault(r["order_id"], []).append(r)
    due = [o for o in by_order.values() if max(r["deadline_us"] for r in o) <= as_of]
    otif = [o for o in due if all(D(r["on_time"]) >= D(r["product_uom_qty"]) for r in o)]
    max_disc = D(policy["channel_max_discount_percent"].get(channel, policy["default_max_discount_percent"]))
    revenue = sum((D(r["price_subtotal"]) for r in rows), Decimal(0))
    cost = sum((D(r["purchase_price"]) * D(r["product_uom_qty"]) for r in rows), Decimal(0))
    over = sum(
        (D(r["price_unit"]) * D(r["product_uom_qty"]) * (D(r["discount"]) - max_disc) * Decimal("0.01")
         for r in rows if D(r["discount"]) > max_disc),
        Decimal(0),
    )
    below_list = sum(
        ((D(r["list_price"]) - D(r["price_unit"])) * D(r["product_uom_qty"])
         for r in rows if D(r["price_unit"]) < D(r["list_price"])),
        Decimal(0),
    )
    below_cost = sum(
        (D(r["purchase_price"]) * D(r["product_uom_qty"]) - D(r["price_subtotal"])
         for r in rows if D(r["price_subtotal"]) < D(r["purchase_price"]) * D(r["product_uom_qty"])),
        Decimal(0),
    )
    ours[channel] = {
        "lines_shipped": len(shipped),
        "lines_filled": len(filled),
        "orders_due": len(due),
        "orders_otif": len(otif),
        "revenue": revenue,
        "cost": cost,
        "leak_over_discount": over,
        "leak_below_pricelist": below_list,
        "leak_below_cost": below_cost,
    }
    print(f"{channel:14} line fill {len(filled) / max(len(shipped), 1):6.1%}  "
          f"OTIF {len(otif) / max(len(due), 1):6.1%}  revenue {revenue:,.2f}  "
          f"margin {(revenue - cost) / revenue if revenue else 0:6.1%}")

# %% [markdown]
# ## Compare with `crossdock kpi --format json`

# %%
if report_path:
    report = json.load(open(report_path))
    problems = []
    theirs = {r["group"]["channel"]: r for r in report["rows"]}
    if set(theirs) != set(ours):
        problems.append(f"channels differ: crossdock {sorted(theirs)}, polars {sorted(ours)}")
    for channel, mine in ours.items():
        other = theirs.get(channel)
        if other is None:
            continue
        for key, value in mine.items():
            theirs_value = Decimal(other[key]) if isinstance(value, Decimal) else other[key]
            if theirs_value != value:
                problems.append(f"{channel} {key}: crossdock {theirs_value}, polars {value}")
    if problems:
        print("\n".join(["DIFFERENCES:"] + problems))
        sys.exit(1)
    print(f"all {len(ours)} channels agree with crossdock on {len(next(iter(ours.values())))} figures each")
