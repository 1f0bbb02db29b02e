SELECT '/* wescale:min_gtid=0-1-5 */' /* wescale:max_lag_ms=x */; SELECT 2 /* ;max_lag_ms=99999999999 */ /* wescale:min_gtid=, */
