-- view: sale_line_facts
--
-- One row per confirmed product line of a sale order, with everything the
-- sales KPIs read. Materialised once per KPI request; every KPI file reads it.
--
-- Lines counted: sale_order.state = 'sale' (confirmed, not cancelled),
--   sale_order_line.display_type IS NULL (no section / note rows),
--   is_downpayment not true.
-- Customer deliveries of a line: stock_move rows with state = 'done', whose
--   destination location has usage = 'customer', that are not returns
--   (origin_returned_move_id IS NULL), with sale_line_id = the line. In Odoo
--   17 a done move's `quantity` is the processed quantity, and `date` is the
--   time it was processed (stock/models/stock_move.py, _action_done).
-- Line deadline (µs since epoch): sale_order.commitment_date when set, else
--   sale_order.date_order + customer_lead days (Odoo's own rule for the
--   delivery moves' date_deadline: sale_stock/models/sale_order_line.py,
--   _prepare_procurement_values).
-- Dimensions: channel = crm_team.name (en_US) of sale_order.team_id;
--   company = res_company.name; warehouse = stock_warehouse.name;
--   week (Monday, YYYY-MM-DD) and month (YYYY-MM) of sale_order.date_order,
--   which Odoo overwrites with the confirmation time (UTC).
WITH delivery AS (
    SELECT m.sale_line_id,
           arrow_cast(m.date, 'Int64') AS done_us,
           m.quantity
    FROM stock_move m
    JOIN stock_location dest ON dest.id = m.location_dest_id
    WHERE m.state = 'done'
      AND dest.usage = 'customer'
      AND m.origin_returned_move_id IS NULL
      AND m.sale_line_id IS NOT NULL
),
shipped AS (
    SELECT sale_line_id,
           min(done_us) AS first_us,
           max(done_us) AS last_us,
           sum(quantity) AS delivered_qty
    FROM delivery
    GROUP BY sale_line_id
),
first_shipment AS (
    SELECT d.sale_line_id, sum(d.quantity) AS first_qty
    FROM delivery d
    JOIN shipped s ON s.sale_line_id = d.sale_line_id AND d.done_us = s.first_us
    GROUP BY d.sale_line_id
),
lines AS (
    SELECT l.id AS line_id,
           o.id AS order_id,
           o.company_id,
           coalesce(t.name_en_us, 'No channel') AS channel,
           coalesce(c.name, 'No company') AS company,
           coalesce(w.name, 'No warehouse') AS warehouse,
           o.date_order AS confirmed_at,
           arrow_cast(o.date_order, 'Int64') AS confirmed_us,
           to_char(date_trunc('week', o.date_order), '%Y-%m-%d') AS week,
           to_char(date_trunc('month', o.date_order), '%Y-%m') AS month,
           coalesce(
               arrow_cast(o.commitment_date, 'Int64'),
               arrow_cast(o.date_order, 'Int64') + CAST(l.customer_lead * 86400000000 AS BIGINT)
           ) AS deadline_us,
           l.product_uom_qty AS ordered_qty,
           l.price_unit,
           coalesce(l.discount, 0) AS discount,
           coalesce(l.price_subtotal, 0) AS price_subtotal,
           coalesce(l.purchase_price, 0) AS purchase_price,
           pt.list_price,
           l.product_uom AS line_uom,
           pt.uom_id AS product_uom
    FROM sale_order_line l
    JOIN sale_order o ON o.id = l.order_id
    LEFT JOIN crm_team t ON t.id = o.team_id
    LEFT JOIN res_company c ON c.id = o.company_id
    LEFT JOIN stock_warehouse w ON w.id = o.warehouse_id
    LEFT JOIN product_product pp ON pp.id = l.product_id
    LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
    WHERE o.state = 'sale'
      AND l.display_type IS NULL
      AND coalesce(l.is_downpayment, false) = false
),
on_time AS (
    SELECT d.sale_line_id, sum(d.quantity) AS on_time_qty
    FROM delivery d
    JOIN lines ln ON ln.line_id = d.sale_line_id
    WHERE d.done_us <= ln.deadline_us
    GROUP BY d.sale_line_id
)
SELECT ln.*,
       s.first_us,
       s.last_us,
       coalesce(s.delivered_qty, 0) AS delivered_qty,
       coalesce(f.first_qty, 0) AS first_qty,
       coalesce(ot.on_time_qty, 0) AS on_time_qty
FROM lines ln
LEFT JOIN shipped s ON s.sale_line_id = ln.line_id
LEFT JOIN first_shipment f ON f.sale_line_id = ln.line_id
LEFT JOIN on_time ot ON ot.sale_line_id = ln.line_id
