-- view: stock_position
--
-- Per product × warehouse, where the stock stands now, in the product's unit.
--
-- on_hand: sum of stock_quant.quantity in internal locations
--   (stock_location.usage = 'internal') of the warehouse.
-- reserved: sum of stock_quant.reserved_quantity there.
-- incoming: open receipts — stock_move rows not 'done', 'cancel' or 'draft',
--   from a supplier location into the warehouse (product_qty, which Odoo
--   keeps in the product's unit).
-- backorder_qty: what confirmed sale order lines still owe
--   (product_uom_qty − qty_delivered, in the product's unit, when positive)
--   past their requested day (commitment_date, else date_order + customer_lead)
--   at the end of the last day of data ({as_of_us}, µs since the epoch, filled
--   in by models::planning: the data's today, not the clock's).
-- late_deliveries_28d: the recent stock-outs as customers felt them —
--   deliveries to customers (stock_move into a location of usage 'customer',
--   not cancelled) due in the 28 days up to {as_of_us} (date_deadline, the
--   promise of the order) that were done after the end of their due day, or
--   are still not done.
WITH quants AS (
    SELECT q.product_id, l.warehouse_id,
           sum(CAST(q.quantity AS DOUBLE)) AS on_hand,
           sum(CAST(coalesce(q.reserved_quantity, 0) AS DOUBLE)) AS reserved
    FROM stock_quant q
    JOIN stock_location l ON l.id = q.location_id
    WHERE l.usage = 'internal' AND l.warehouse_id IS NOT NULL
    GROUP BY q.product_id, l.warehouse_id
),
incoming AS (
    SELECT m.product_id, dest.warehouse_id, sum(CAST(m.product_qty AS DOUBLE)) AS incoming
    FROM stock_move m
    JOIN stock_location src ON src.id = m.location_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    WHERE m.state NOT IN ('done', 'cancel', 'draft')
      AND src.usage = 'supplier'
      AND dest.warehouse_id IS NOT NULL
    GROUP BY m.product_id, dest.warehouse_id
),
owed AS (
    SELECT l.product_id, o.warehouse_id,
           round(sum(CAST(l.product_uom_qty - coalesce(l.qty_delivered, 0) AS DOUBLE) / CAST(lu.factor AS DOUBLE) * CAST(pu.factor AS DOUBLE)), 6) AS backorder_qty
    FROM sale_order_line l
    JOIN sale_order o ON o.id = l.order_id
    JOIN product_product pp ON pp.id = l.product_id
    JOIN product_template pt ON pt.id = pp.product_tmpl_id
    JOIN uom_uom lu ON lu.id = l.product_uom
    JOIN uom_uom pu ON pu.id = pt.uom_id
    WHERE o.state = 'sale'
      AND l.display_type IS NULL
      AND l.product_uom_qty > coalesce(l.qty_delivered, 0)
      AND coalesce(
              arrow_cast(o.commitment_date, 'Int64'),
              arrow_cast(o.date_order, 'Int64') + CAST(coalesce(l.customer_lead, 0) * 86400000000 AS BIGINT)
          ) < {as_of_us}
    GROUP BY l.product_id, o.warehouse_id
),
late AS (
    SELECT m.product_id, src.warehouse_id, count(*) AS late_deliveries_28d
    FROM stock_move m
    JOIN stock_location src ON src.id = m.location_id
    JOIN stock_location dest ON dest.id = m.location_dest_id
    WHERE dest.usage = 'customer'
      AND src.warehouse_id IS NOT NULL
      AND coalesce(m.state, '') <> 'cancel'
      AND m.date_deadline IS NOT NULL
      AND arrow_cast(m.date_deadline, 'Int64') >= {as_of_us} - 28 * 86400000000
      AND arrow_cast(m.date_deadline, 'Int64') < {as_of_us}
      AND (coalesce(m.state, '') <> 'done'
           OR arrow_cast(m.date, 'Int64') >= (arrow_cast(m.date_deadline, 'Int64') / 86400000000 + 1) * 86400000000)
    GROUP BY m.product_id, src.warehouse_id
),
keys AS (
    SELECT product_id, warehouse_id FROM quants
    UNION SELECT product_id, warehouse_id FROM incoming
    UNION SELECT product_id, warehouse_id FROM owed
    UNION SELECT product_id, warehouse_id FROM late
)
SELECT k.product_id, k.warehouse_id,
       coalesce(q.on_hand, 0) AS on_hand,
       coalesce(q.reserved, 0) AS reserved,
       coalesce(i.incoming, 0) AS incoming,
       coalesce(o.backorder_qty, 0) AS backorder_qty,
       coalesce(lt.late_deliveries_28d, 0) AS late_deliveries_28d
FROM keys k
LEFT JOIN quants q ON q.product_id = k.product_id AND q.warehouse_id = k.warehouse_id
LEFT JOIN incoming i ON i.product_id = k.product_id AND i.warehouse_id = k.warehouse_id
LEFT JOIN owed o ON o.product_id = k.product_id AND o.warehouse_id = k.warehouse_id
LEFT JOIN late lt ON lt.product_id = k.product_id AND lt.warehouse_id = k.warehouse_id
