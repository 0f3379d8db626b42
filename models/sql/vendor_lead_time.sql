-- view: vendor_lead_time
--
-- One row per confirmed purchase order line of a product that has been
-- received at least in part: the observed lead time of that vendor for that
-- product, and whether the receipt was on time and in full.
--
-- Lines counted: purchase_order.state IN ('purchase', 'done'),
--   purchase_order_line.display_type IS NULL, product_id set,
--   purchase_order.date_approve set (the confirmation time).
-- Receipts of a line: done stock_move rows with purchase_line_id = the line
--   whose source location has usage = 'supplier' (returns to the vendor
--   excluded), dated by stock_move.date.
-- lead_time_days: first receipt − date_approve, in days (fractional).
-- on_time: the first receipt on or before purchase_order_line.date_planned.
-- in_full: received quantity (in the line's unit) ≥ product_qty.
-- warehouse: the warehouse of the receipt's destination location.
WITH receipt AS (
    SELECT m.purchase_line_id,
           min(dest.warehouse_id) AS warehouse_id,
           min(m.date) AS first_at,
           round(sum(CAST(m.quantity AS DOUBLE) / CAST(mu.factor AS DOUBLE) * CAST(lu.factor AS DOUBLE)), 6) AS received_qty
    FROM stock_move m
    JOIN stock_location src ON src.id = m.location_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    JOIN purchase_order_line pl ON pl.id = m.purchase_line_id
    JOIN uom_uom mu ON mu.id = m.product_uom
    JOIN uom_uom lu ON lu.id = pl.product_uom
    WHERE m.state = 'done' AND src.usage = 'supplier'
    GROUP BY m.purchase_line_id
)
SELECT pl.id AS purchase_line_id,
       o.partner_id AS vendor_id,
       coalesce(p.name, 'vendor ' || CAST(o.partner_id AS VARCHAR)) AS vendor,
       pl.product_id,
       r.warehouse_id,
       o.company_id,
       CAST(arrow_cast(r.first_at, 'Int64') - arrow_cast(o.date_approve, 'Int64') AS DOUBLE) / 86400000000.0 AS lead_time_days,
       r.first_at <= pl.date_planned AS on_time,
       r.received_qty >= CAST(pl.product_qty AS DOUBLE) AS in_full,
       r.first_at AS received_at
FROM purchase_order_line pl
JOIN purchase_order o ON o.id = pl.order_id
JOIN receipt r ON r.purchase_line_id = pl.id
LEFT JOIN res_partner p ON p.id = o.partner_id
WHERE o.state IN ('purchase', 'done')
  AND pl.display_type IS NULL
  AND pl.product_id IS NOT NULL
  AND o.date_approve IS NOT NULL
