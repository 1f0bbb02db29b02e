-- sysbench-reconnect.lua — one connection per event: connect, one point select,
-- disconnect (what sysbench 1.1's --reconnect=1 does; Debian 12 ships 1.0.20).
-- After `sysbench oltp_read_only prepare` (sbtest1, 10,000 rows):
--   sysbench --db-driver=mysql … --threads=4 --time=5 tests/bench/sysbench-reconnect.lua run
function thread_init()
   drv = sysbench.sql.driver()
end
function event()
   local con = drv:connect()
   con:query("SELECT c FROM sbtest1 WHERE id=" .. sysbench.rand.default(1, 10000))
   con:disconnect()
end
