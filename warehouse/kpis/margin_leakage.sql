-- kpi: margin_leakage
-- title: Margin leakage (over-discount, below pricelist, below cost)
-- definition: Money given away on confirmed order lines, in three views that
--   may overlap (a line can leak in more than one way, so they are not added):
--   over_discount — discount beyond the channel's policy maximum;
--   below_pricelist — unit price under the product's list price;
--   below_cost — lines sold for less than their cost.
-- formula:
--   leak_over_discount = Σ price_unit × product_uom_qty × (discount − max_discount) × 0.01
--       over lines with discount > max_discount of the channel
--       (channel_policy, from the warehouse settings);
--   leak_below_pricelist = Σ (list_price − price_unit) × product_uom_qty
--       over lines with price_unit < list_price (line in the product's UoM;
--       otherwise list_price is converted by the UoM factors);
--   leak_below_cost = Σ (purchase_price × product_uom_qty − price_subtotal)
--       over lines with price_subtotal < purchase_price × product_uom_qty.
--   Exact decimals throughout (the 0.01 is a DECIMAL, never a float).
-- odoo columns: sale_order_line.price_unit, .discount, .product_uom_qty,
--   .price_subtotal, .purchase_price, .product_uom; product_template.list_price,
--   .uom_id; uom_uom.factor; crm_team.name
-- reference: "price waterfall / pocket price leakage" (Marn & Rosiello,
--   HBR 1992); Odoo list price: product_template.list_price.
WITH priced AS (
    SELECT f.*,
           coalesce(p.max_discount, {default_max_discount}) AS max_discount,
           CASE WHEN f.line_uom = f.product_uom OR f.line_uom IS NULL THEN f.list_price
                ELSE CAST(f.list_price * pu.factor / lu.factor AS DECIMAL(38, 10)) END AS line_list_price
    FROM sale_line_facts f
    LEFT JOIN channel_policy p ON p.channel = f.channel
    LEFT JOIN uom_uom pu ON pu.id = f.product_uom
    LEFT JOIN uom_uom lu ON lu.id = f.line_uom
    WHERE {period}
)
SELECT {dims},
       CAST(sum(CASE WHEN discount > max_discount
                     THEN CAST(CAST(price_unit * ordered_qty AS DECIMAL(38, 10)) * (discount - max_discount) AS DECIMAL(38, 10))
                          * CAST('0.01' AS DECIMAL(38, 10))
                     ELSE 0 END) AS DECIMAL(38, 10)) AS leak_over_discount,
       CAST(sum(CASE WHEN price_unit < line_list_price
                     THEN (line_list_price - price_unit) * ordered_qty
                     ELSE 0 END) AS DECIMAL(38, 10)) AS leak_below_pricelist,
       CAST(sum(CASE WHEN price_subtotal < purchase_price * ordered_qty
                     THEN purchase_price * ordered_qty - price_subtotal
                     ELSE 0 END) AS DECIMAL(38, 10)) AS leak_below_cost
FROM priced
GROUP BY {dims}
