-- bench/cdc/workload.sql: the benchmark's write workload, installed in the
-- throwaway source database after `crossdock simulate --postgres` created the
-- tracked Odoo tables and a little master data (company, warehouse, products,
-- customers, ...).
--
-- Every business transaction writes exactly 10 row changes to 4 tracked tables:
--
--   cdc_bench_confirm()          an order is confirmed (what Odoo's sale_stock
--                                does on "Confirm", reduced to the tracked rows):
--                                INSERT 1 sale_order, 1 stock_picking,
--                                4 sale_order_line, 4 stock_move       = 10 inserts
--   cdc_bench_deliver(order)     its delivery is validated:
--   cdc_bench_deliver_oldest()   UPDATE 4 stock_move (done), 4 sale_order_line
--                                (qty_delivered), 1 stock_picking (done),
--                                1 sale_order (delivery_status)        = 10 updates
--
-- The burst (cdc_bench_burst) confirms orders and delivers each one `lag`
-- orders later, committing after every business transaction, so the stream is
-- half inserts, half updates of rows written shortly before, in Odoo-wide
-- rows (sale_order_line has 35 columns, mostly numeric), in small
-- transactions, as an ERP writes them. The steady phase runs the same two
-- functions from pgbench at a fixed rate.
--
-- Lookup indexes on the foreign keys the workload searches by are added, as
-- Odoo has them (sale_order_line.order_id and stock_move.picking_id are
-- index=True in Odoo 17), so the updates find their rows without scanning;
-- they change nothing in what logical decoding sends.

CREATE INDEX IF NOT EXISTS cdc_bench_sol_order ON sale_order_line (order_id);
CREATE INDEX IF NOT EXISTS cdc_bench_move_picking ON stock_move (picking_id);
CREATE INDEX IF NOT EXISTS cdc_bench_picking_sale ON stock_picking (sale_id);
CREATE INDEX IF NOT EXISTS cdc_bench_so_pending ON sale_order (id) WHERE delivery_status = 'pending';

-- the simulator writes explicit ids: move the sequences past them
SELECT setval(pg_get_serial_sequence('sale_order', 'id'), coalesce((SELECT max(id) FROM sale_order), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('stock_picking', 'id'), coalesce((SELECT max(id) FROM stock_picking), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('sale_order_line', 'id'), coalesce((SELECT max(id) FROM sale_order_line), 0) + 1, false);
SELECT setval(pg_get_serial_sequence('stock_move', 'id'), coalesce((SELECT max(id) FROM stock_move), 0) + 1, false);

-- master data the workload draws from (not a tracked table, not published)
CREATE TABLE cdc_bench_conf AS
SELECT c.id AS company_id,
       (SELECT min(id) FROM res_users) AS user_id,
       (SELECT min(id) FROM crm_team) AS team_id,
       w.id AS warehouse_id,
       pt.id AS picking_type_id,
       pt.default_location_src_id AS location_id,
       coalesce(pt.default_location_dest_id,
                (SELECT min(id) FROM stock_location WHERE usage = 'customer')) AS location_dest_id,
       (SELECT array_agg(id ORDER BY id) FROM res_partner WHERE is_company AND coalesce(customer_rank, 0) > 0) AS partners,
       array_agg(p.id ORDER BY p.id) AS products,
       array_agg(coalesce(t.list_price, 10) ORDER BY p.id) AS prices,
       array_agg(t.uom_id ORDER BY p.id) AS uoms,
       array_agg(coalesce(t.name ->> 'en_US', 'product') ORDER BY p.id) AS names,
       4 AS lines,
       (SELECT coalesce(max(id), 0) FROM sale_order) AS first_order  -- orders above it are the benchmark's
FROM res_company c
JOIN stock_warehouse w ON w.company_id = c.id
JOIN stock_picking_type pt ON pt.warehouse_id = w.id AND pt.code = 'outgoing'
CROSS JOIN product_product p
JOIN product_template t ON t.id = p.product_tmpl_id
WHERE c.id = (SELECT min(id) FROM res_company)
  AND w.id = (SELECT min(id) FROM stock_warehouse WHERE company_id = c.id)
  AND pt.id = (SELECT min(id) FROM stock_picking_type WHERE warehouse_id = w.id AND code = 'outgoing')
  AND coalesce(t.sale_ok, true)
GROUP BY c.id, w.id, pt.id;

DO $$
DECLARE c cdc_bench_conf;
BEGIN
  SELECT * INTO c FROM cdc_bench_conf;
  IF c IS NULL OR c.partners IS NULL OR c.products IS NULL OR c.location_id IS NULL THEN
    RAISE EXCEPTION 'cdc bench: master data missing (company, outgoing picking type, customers, products): %', c;
  END IF;
END $$;

CREATE OR REPLACE FUNCTION cdc_bench_confirm() RETURNS int LANGUAGE plpgsql AS $$
DECLARE
  c cdc_bench_conf;
  o int := nextval(pg_get_serial_sequence('sale_order', 'id'));
  p int;
  ts timestamp := clock_timestamp() AT TIME ZONE 'UTC';
  partner int;
  ks int[];
  qs numeric[];
  untaxed numeric := 0;
BEGIN
  SELECT * INTO c FROM cdc_bench_conf;
  partner := c.partners[1 + floor(random() * array_length(c.partners, 1))::int];
  FOR i IN 1..c.lines LOOP
    ks[i] := 1 + floor(random() * array_length(c.products, 1))::int;
    qs[i] := 1 + floor(random() * 20);
    untaxed := untaxed + qs[i] * c.prices[ks[i]];
  END LOOP;
  INSERT INTO sale_order (id, name, state, locked, company_id, partner_id, partner_invoice_id,
      partner_shipping_id, client_order_ref, date_order, commitment_date, user_id, team_id,
      currency_id, currency_rate, amount_untaxed, amount_tax, amount_total, amount_to_invoice,
      invoice_status, warehouse_id, picking_policy, delivery_status, margin, margin_percent,
      create_uid, create_date, write_uid, write_date)
  VALUES (o, 'BENCH' || lpad(o::text, 7, '0'), 'sale', false, c.company_id, partner, partner,
      partner, 'PO-' || o, ts, ts + interval '3 days', c.user_id, c.team_id,
      1, 1, untaxed, round(untaxed * 0.15, 2), round(untaxed * 1.15, 2), round(untaxed * 1.15, 2),
      'no', c.warehouse_id, 'direct', 'pending', round(untaxed * 0.3, 2), 0.3,
      c.user_id, ts, c.user_id, ts);
  INSERT INTO stock_picking (name, origin, state, move_type, priority, scheduled_date, date_deadline,
      date, location_id, location_dest_id, picking_type_id, partner_id, company_id, user_id,
      sale_id, is_locked, create_uid, create_date, write_uid, write_date)
  VALUES ('WH/OUT/BENCH' || o, 'BENCH' || lpad(o::text, 7, '0'), 'assigned', 'direct', '0',
      ts + interval '1 day', ts + interval '3 days', ts, c.location_id, c.location_dest_id,
      c.picking_type_id, partner, c.company_id, c.user_id, o, true, c.user_id, ts, c.user_id, ts)
  RETURNING id INTO p;
  INSERT INTO sale_order_line (order_id, sequence, is_downpayment, product_id, name, product_uom_qty,
      product_uom, price_unit, discount, price_subtotal, price_tax, price_total, customer_lead,
      qty_delivered_method, qty_delivered, qty_invoiced, qty_to_invoice, invoice_status,
      untaxed_amount_invoiced, untaxed_amount_to_invoice, state, company_id, currency_id,
      order_partner_id, salesman_id, purchase_price, margin, margin_percent,
      create_uid, create_date, write_uid, write_date)
  SELECT o, 10 * i, false, c.products[ks[i]], c.names[ks[i]], qs[i],
      c.uoms[ks[i]], c.prices[ks[i]], 0, qs[i] * c.prices[ks[i]],
      round(qs[i] * c.prices[ks[i]] * 0.15, 2)::float8, round(qs[i] * c.prices[ks[i]] * 1.15, 2), 3,
      'stock_move', 0, 0, 0, 'no', 0, 0, 'sale', c.company_id, 1,
      partner, c.user_id, round(c.prices[ks[i]] * 0.7, 4), round(qs[i] * c.prices[ks[i]] * 0.3, 2), 0.3,
      c.user_id, ts, c.user_id, ts
  FROM generate_subscripts(ks, 1) AS i;
  INSERT INTO stock_move (name, reference, origin, state, date, date_deadline, company_id, product_id,
      product_uom_qty, product_uom, product_qty, quantity, picked, location_id, location_dest_id,
      partner_id, picking_id, picking_type_id, warehouse_id, procure_method, scrapped,
      is_inventory, to_refund, sale_line_id, create_uid, create_date, write_uid, write_date)
  SELECT l.name, 'WH/OUT/BENCH' || o, 'BENCH' || lpad(o::text, 7, '0'), 'assigned',
      ts + interval '1 day', ts + interval '3 days', c.company_id, l.product_id,
      l.product_uom_qty, l.product_uom, l.product_uom_qty, l.product_uom_qty, false,
      c.location_id, c.location_dest_id, partner, p, c.picking_type_id, c.warehouse_id,
      'make_to_stock', false, false, false, l.id, c.user_id, ts, c.user_id, ts
  FROM sale_order_line l WHERE l.order_id = o;
  RETURN o;
END $$;

CREATE OR REPLACE FUNCTION cdc_bench_deliver(o int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  ts timestamp := clock_timestamp() AT TIME ZONE 'UTC';
  p int;
BEGIN
  SELECT id INTO p FROM stock_picking WHERE sale_id = o;
  UPDATE stock_move SET state = 'done', quantity = product_uom_qty, picked = true, date = ts,
      price_unit = 7.5, write_date = ts
  WHERE picking_id = p;
  UPDATE sale_order_line SET qty_delivered = product_uom_qty, qty_to_invoice = product_uom_qty,
      invoice_status = 'to invoice', untaxed_amount_to_invoice = price_subtotal, write_date = ts
  WHERE order_id = o;
  UPDATE stock_picking SET state = 'done', date_done = ts, write_date = ts WHERE id = p;
  UPDATE sale_order SET delivery_status = 'full', effective_date = ts, invoice_status = 'to invoice',
      write_date = ts
  WHERE id = o;
END $$;

-- the oldest order still waiting for its delivery (FIFO, concurrent-safe)
CREATE OR REPLACE FUNCTION cdc_bench_deliver_oldest() RETURNS int LANGUAGE plpgsql AS $$
DECLARE o int;
BEGIN
  SELECT id INTO o FROM sale_order WHERE delivery_status = 'pending'
    AND id > (SELECT first_order FROM cdc_bench_conf)
  ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED;
  IF o IS NOT NULL THEN
    PERFORM cdc_bench_deliver(o);
  END IF;
  RETURN o;
END $$;

-- the burst: `orders` confirmations, each order delivered `lag` orders after
-- its confirmation; the last `lag` orders stay pending (the steady phase
-- delivers them). One COMMIT per business transaction. The tables grow from
-- nothing to hundreds of thousands of rows within one session, so they are
-- analyzed every 2,000 orders: otherwise the plans cached while they were
-- tiny (foreign-key checks included) keep scanning them sequentially and the
-- burst slows down quadratically.
CREATE OR REPLACE PROCEDURE cdc_bench_burst(orders int, lag int) LANGUAGE plpgsql AS $$
DECLARE
  first int := (SELECT first_order FROM cdc_bench_conf);
  o int;
BEGIN
  FOR i IN 1..orders LOOP
    o := cdc_bench_confirm();
    COMMIT;
    IF o - lag > first THEN
      PERFORM cdc_bench_deliver(o - lag);
      COMMIT;
    END IF;
    IF i % 2000 = 0 THEN
      ANALYZE sale_order, stock_picking, sale_order_line, stock_move;
      COMMIT;
    END IF;
  END LOOP;
  ANALYZE sale_order, stock_picking, sale_order_line, stock_move;
END $$;
