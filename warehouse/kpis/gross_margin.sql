-- kpi: gross_margin
-- title: Gross margin
-- definition: Revenue of confirmed order lines minus their cost at order
--   time, and its share of revenue.
-- formula: revenue = Σ price_subtotal; cost = Σ purchase_price ×
--   product_uom_qty; gross_margin = revenue − cost;
--   margin_pct = gross_margin / revenue. Exact decimals throughout.
-- odoo columns: sale_order_line.price_subtotal, sale_order_line.purchase_price
--   (sale_margin), sale_order_line.product_uom_qty
-- reference: sale_margin/models/sale_order_line.py (margin =
--   price_subtotal − purchase_price × product_uom_qty).
SELECT {dims},
       sum(price_subtotal) AS revenue,
       CAST(sum(purchase_price * ordered_qty) AS DECIMAL(38, 10)) AS cost,
       CAST(sum(price_subtotal) - sum(purchase_price * ordered_qty) AS DECIMAL(38, 10)) AS gross_margin,
       CAST(sum(price_subtotal) - sum(purchase_price * ordered_qty) AS DOUBLE)
           / CAST(NULLIF(sum(price_subtotal), 0) AS DOUBLE) AS margin_pct
FROM sale_line_facts
WHERE {period}
GROUP BY {dims}
