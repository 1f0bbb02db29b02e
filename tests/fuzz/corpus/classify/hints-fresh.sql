/* wescale:min_gtid=0-1-5,1-2-7, route=primary */ SELECT 1 /*+ ;min_gtid=3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5 */ -- wescale:max_lag_ms=250
