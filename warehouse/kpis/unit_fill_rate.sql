-- kpi: unit_fill_rate
-- title: Unit fill rate
-- definition: Share of the ordered units of shipped lines that went out in
--   each line's first shipment.
-- formula: Σ min(first_qty, product_uom_qty) / Σ product_uom_qty, over
--   confirmed lines with at least one customer delivery (first_qty as in
--   line_fill_rate).
-- odoo columns: as line_fill_rate.
-- reference: APICS / ASCM Dictionary, "unit fill rate" (a.k.a. item fill rate).
SELECT {dims},
       sum(CASE WHEN first_us IS NOT NULL THEN ordered_qty END) AS units_ordered_shipped,
       sum(CASE WHEN first_us IS NULL THEN NULL
                WHEN first_qty < ordered_qty THEN first_qty
                ELSE ordered_qty END) AS units_first_shipment,
       CAST(sum(CASE WHEN first_us IS NULL THEN NULL
                     WHEN first_qty < ordered_qty THEN first_qty
                     ELSE ordered_qty END) AS DOUBLE)
           / CAST(NULLIF(sum(CASE WHEN first_us IS NOT NULL THEN ordered_qty END), 0) AS DOUBLE) AS unit_fill_rate
FROM sale_line_facts
WHERE {period}
GROUP BY {dims}
