/* wescale:route=replica */ SELECT 1;
DELETE FROM t