-- view: demand_history
--
-- What customers asked for, per product × warehouse × requested day: the
-- demand the forecasts learn from. Not shipments: a stock-out censors what
-- was shipped, not what was asked for.
--
-- Lines counted: sale_order.state = 'sale' (confirmed; Odoo 17 has no 'done'
--   state for orders, a locked order stays 'sale'; 'cancel' is out),
--   sale_order_line.display_type IS NULL (no section / note rows),
--   is_downpayment not true, product_id set.
-- Requested day: sale_order.commitment_date when set, else
--   sale_order.date_order (UTC; the company's time zone is a setting to come).
-- Quantity: sale_order_line.product_uom_qty in the line's unit, converted to
--   the product's unit (product_template.uom_id) as Odoo's
--   uom.uom._compute_quantity does: qty / line_uom.factor * product_uom.factor,
--   as a double rounded to 6 decimals (the float noise of factors such as 1/12).
-- Lines: the number of those sale order lines (what the line fill rate
--   counts, and what ranks an item for its service class).
-- Returns are kept apart (returned_qty): done stock_move rows with
--   origin_returned_move_id set, coming from a customer location, dated by
--   stock_move.date, converted the same way. They are not subtracted from
--   demand: a return does not undo that the customer asked.
WITH asked AS (
    SELECT l.product_id,
           o.warehouse_id,
           o.company_id,
           CAST(coalesce(o.commitment_date, o.date_order) AS DATE) AS day,
           round(CAST(l.product_uom_qty AS DOUBLE) / CAST(lu.factor AS DOUBLE) * CAST(pu.factor AS DOUBLE), 6) AS qty
    FROM sale_order_line l
    JOIN sale_order o ON o.id = l.order_id
    JOIN product_product pp ON pp.id = l.product_id
    JOIN product_template pt ON pt.id = pp.product_tmpl_id
    JOIN uom_uom lu ON lu.id = l.product_uom
    JOIN uom_uom pu ON pu.id = pt.uom_id
    WHERE o.state = 'sale'
      AND l.display_type IS NULL
      AND coalesce(l.is_downpayment, false) = false
      AND l.product_id IS NOT NULL
      AND o.warehouse_id IS NOT NULL
),
returned AS (
    SELECT m.product_id,
           dest.warehouse_id,
           m.company_id,
           CAST(m.date AS DATE) AS day,
           round(CAST(m.quantity AS DOUBLE) / CAST(mu.factor AS DOUBLE) * CAST(pu.factor AS DOUBLE), 6) AS qty
    FROM stock_move m
    JOIN stock_location src ON src.id = m.location_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    JOIN product_product pp ON pp.id = m.product_id
    JOIN product_template pt ON pt.id = pp.product_tmpl_id
    JOIN uom_uom mu ON mu.id = m.product_uom
    JOIN uom_uom pu ON pu.id = pt.uom_id
    WHERE m.state = 'done'
      AND m.origin_returned_move_id IS NOT NULL
      AND src.usage = 'customer'
      AND dest.warehouse_id IS NOT NULL
)
SELECT product_id, warehouse_id, company_id, day,
       sum(asked_qty) AS asked_qty,
       sum(returned_qty) AS returned_qty,
       sum(lines) AS lines
FROM (
    SELECT product_id, warehouse_id, company_id, day, qty AS asked_qty, CAST(0 AS DOUBLE) AS returned_qty, CAST(1 AS BIGINT) AS lines FROM asked
    UNION ALL
    SELECT product_id, warehouse_id, company_id, day, CAST(0 AS DOUBLE) AS asked_qty, qty AS returned_qty, CAST(0 AS BIGINT) AS lines FROM returned
) u
GROUP BY product_id, warehouse_id, company_id, day
ORDER BY product_id, warehouse_id, day
