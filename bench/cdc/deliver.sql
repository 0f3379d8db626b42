-- pgbench script: one delivery validation = one transaction of 10 row updates (see workload.sql)
SELECT cdc_bench_deliver_oldest();
