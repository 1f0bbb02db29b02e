/* wescale:route=replica, consistency=eventual */ SELECT 1 /*ms=master*/ -- maxscale route to slave
