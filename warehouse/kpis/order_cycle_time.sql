-- kpi: order_cycle_time
-- title: Order cycle time (confirmation to last delivery), p50 and p90
-- definition: For confirmed orders delivered in full, the time from
--   confirmation to the last customer delivery; its median and 90th
--   percentile (nearest rank: the value at rank ceil(p·n) of the sorted
--   times), in days.
-- formula: cycle = max(stock_move.date of the order's customer deliveries)
--   − sale_order.date_order, over orders where every line has
--   Σ delivered quantity >= product_uom_qty; in days = cycle µs / 86,400,000,000.
-- odoo columns: sale_order.date_order (the confirmation time in 17.0),
--   stock_move.date, stock_move.quantity, sale_order_line.product_uom_qty
-- reference: APICS / ASCM, "order cycle time"; Odoo 17 overwrites
--   date_order at confirmation (sale/models/sale_order.py,
--   _prepare_confirmation_values).
WITH orders AS (
    SELECT {dims},
           order_id,
           max(last_us) - min(confirmed_us) AS cycle_us,
           min(CASE WHEN delivered_qty >= ordered_qty THEN 1 ELSE 0 END) AS in_full
    FROM sale_line_facts
    WHERE {period}
    GROUP BY {dims}, order_id
),
ranked AS (
    SELECT {dims},
           cycle_us,
           row_number() OVER (PARTITION BY {dims} ORDER BY cycle_us) AS rn,
           count(*) OVER (PARTITION BY {dims}) AS n
    FROM orders
    WHERE in_full = 1
)
SELECT {dims},
       max(n) AS orders_delivered,
       max(CASE WHEN rn = (50 * n + 99) / 100 THEN cycle_us END) AS cycle_p50_us,
       max(CASE WHEN rn = (90 * n + 99) / 100 THEN cycle_us END) AS cycle_p90_us,
       CAST(max(CASE WHEN rn = (50 * n + 99) / 100 THEN cycle_us END) AS DOUBLE)
           / CAST(86400000000 AS DOUBLE) AS cycle_p50_days,
       CAST(max(CASE WHEN rn = (90 * n + 99) / 100 THEN cycle_us END) AS DOUBLE)
           / CAST(86400000000 AS DOUBLE) AS cycle_p90_days
FROM ranked
GROUP BY {dims}
