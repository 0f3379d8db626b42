-- kpi: line_fill_rate
-- title: Line fill rate
-- definition: Share of shipped order lines whose first shipment delivered the
--   whole ordered quantity. A line counts once it has shipped at all; lines
--   still waiting for their first shipment are not in the denominator.
-- formula: lines_filled / lines_shipped, where for each confirmed line with at
--   least one customer delivery, first_qty = Σ quantity of its delivery moves
--   done at the earliest delivery time, and the line is filled iff
--   first_qty >= product_uom_qty.
-- odoo columns: sale_order.state, sale_order.date_order, sale_order.team_id,
--   sale_order_line.product_uom_qty, sale_order_line.display_type,
--   stock_move.sale_line_id, stock_move.state, stock_move.date,
--   stock_move.quantity, stock_move.origin_returned_move_id,
--   stock_location.usage, crm_team.name
-- reference: APICS / ASCM Dictionary, "line fill rate"; Odoo's first-delivery
--   logic in sale_stock (sale_order.effective_date is the first delivery).
SELECT {dims},
       count(first_us) AS lines_shipped,
       sum(CASE WHEN first_us IS NOT NULL AND first_qty >= ordered_qty THEN 1 ELSE 0 END) AS lines_filled,
       CAST(sum(CASE WHEN first_us IS NOT NULL AND first_qty >= ordered_qty THEN 1 ELSE 0 END) AS DOUBLE)
           / CAST(NULLIF(count(first_us), 0) AS DOUBLE) AS line_fill_rate
FROM sale_line_facts
WHERE {period}
GROUP BY {dims}
