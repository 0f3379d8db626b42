-- kpi: otif
-- title: On time in full (OTIF)
-- definition: Share of confirmed orders, whose promised date has passed, that
--   delivered every line in full by that line's promised date.
-- formula: orders_otif / orders_due. An order is due when the latest
--   deadline of its lines is <= as_of (the source commit time the warehouse
--   is complete up to). It is OTIF iff every line has
--   Σ quantity of customer deliveries done at or before its deadline
--   >= product_uom_qty. Line deadline = commitment_date, else date_order +
--   customer_lead days.
-- odoo columns: sale_order.commitment_date, sale_order.date_order,
--   sale_order_line.customer_lead, sale_order_line.product_uom_qty,
--   stock_move.date, stock_move.quantity (+ those of line_fill_rate)
-- reference: "Perfect order / OTIF", SCOR model (RL.2.1–RL.2.2); the deadline
--   follows Odoo's stock_move.date_deadline rule
--   (sale_stock/models/sale_order_line.py).
WITH orders AS (
    SELECT {dims},
           order_id,
           max(deadline_us) AS deadline_us,
           min(CASE WHEN on_time_qty >= ordered_qty THEN 1 ELSE 0 END) AS in_full_on_time
    FROM sale_line_facts
    WHERE {period}
    GROUP BY {dims}, order_id
)
SELECT {dims},
       count(*) AS orders_due,
       sum(in_full_on_time) AS orders_otif,
       CAST(sum(in_full_on_time) AS DOUBLE) / CAST(NULLIF(count(*), 0) AS DOUBLE) AS otif
FROM orders
WHERE deadline_us <= {as_of_us}
GROUP BY {dims}
