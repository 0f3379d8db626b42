-- view: planning_items
--
-- The product × warehouse pairs a planner keeps rules for, with what the
-- reorder policy needs besides demand: the rule in force, the vendor and its
-- promised delay and minimum quantity, the unit cost.
--
-- Pairs: every active stock_warehouse_orderpoint (trigger any), and every
--   storable product (product_template.detailed_type = 'product') with
--   confirmed demand in a warehouse (sale_order.state = 'sale').
-- Rule in force: the active orderpoint of the pair (product_min_qty,
--   product_max_qty, qty_multiple, trigger); when several, the lowest id.
-- Location: the rule's location_id, else the warehouse's stock location
--   (stock_warehouse.lot_stock_id), where a new rule would be made.
-- Vendor: the product_supplierinfo row of the product (product_id, else its
--   template) with the lowest sequence, then id — Odoo's own choice of the
--   default vendor (purchase_stock: _select_seller orders by sequence).
--   delay = promised lead time in days; min_qty = minimum quantity.
-- Unit cost: standard_price of the product (ir_property, res_id
--   'product.product,<id>', value_float, company of the warehouse; else the
--   company's default), as a decimal rounded to 6 places — Odoo stores it as
--   a float.
WITH rules AS (
    SELECT product_id, warehouse_id,
           min(id) AS orderpoint_id
    FROM stock_warehouse_orderpoint
    WHERE coalesce(active, true)
    GROUP BY product_id, warehouse_id
),
demanded AS (
    SELECT DISTINCT l.product_id, o.warehouse_id
    FROM sale_order_line l
    JOIN sale_order o ON o.id = l.order_id
    JOIN product_product pp ON pp.id = l.product_id
    JOIN product_template pt ON pt.id = pp.product_tmpl_id
    WHERE o.state = 'sale' AND l.display_type IS NULL AND o.warehouse_id IS NOT NULL
      AND pt.detailed_type = 'product'
),
pairs AS (
    SELECT product_id, warehouse_id FROM rules
    UNION SELECT product_id, warehouse_id FROM demanded
),
vendor_rank AS (
    SELECT pp.id AS product_id, s.partner_id, s.delay, s.min_qty,
           row_number() OVER (PARTITION BY pp.id ORDER BY s.sequence, s.id) AS rank
    FROM product_supplierinfo s
    JOIN product_product pp
      ON (s.product_id = pp.id) OR (s.product_id IS NULL AND s.product_tmpl_id = pp.product_tmpl_id)
),
cost AS (
    SELECT CAST(substr(res_id, 17) AS BIGINT) AS product_id, company_id,
           CAST(round(value_float, 6) AS DECIMAL(38, 6)) AS unit_cost
    FROM ir_property
    WHERE name = 'standard_price' AND res_id LIKE 'product.product,%'
)
SELECT p.product_id, p.warehouse_id, w.company_id,
       coalesce(w.name, 'warehouse ' || CAST(p.warehouse_id AS VARCHAR)) AS warehouse,
       coalesce(pp.default_code, pt.default_code) AS default_code,
       coalesce(pt.name_en_us, 'product ' || CAST(p.product_id AS VARCHAR)) AS product,
       r.orderpoint_id,
       op.product_min_qty, op.product_max_qty, op.qty_multiple, op.trigger,
       coalesce(op.location_id, w.lot_stock_id) AS location_id,
       v.partner_id AS vendor_id,
       coalesce(vp.name, 'vendor ' || CAST(v.partner_id AS VARCHAR)) AS vendor,
       CAST(v.delay AS DOUBLE) AS promised_delay_days,
       v.min_qty AS vendor_min_qty,
       c.unit_cost
FROM pairs p
JOIN product_product pp ON pp.id = p.product_id
JOIN product_template pt ON pt.id = pp.product_tmpl_id
LEFT JOIN stock_warehouse w ON w.id = p.warehouse_id
LEFT JOIN rules r ON r.product_id = p.product_id AND r.warehouse_id = p.warehouse_id
LEFT JOIN stock_warehouse_orderpoint op ON op.id = r.orderpoint_id
LEFT JOIN vendor_rank v ON v.product_id = p.product_id AND v.rank = 1
LEFT JOIN res_partner vp ON vp.id = v.partner_id
LEFT JOIN cost c ON c.product_id = p.product_id AND c.company_id = w.company_id
ORDER BY p.warehouse_id, p.product_id
