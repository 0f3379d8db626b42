-- pgbench script: one order confirmation = one transaction of 10 row inserts (see workload.sql)
SELECT cdc_bench_confirm();
