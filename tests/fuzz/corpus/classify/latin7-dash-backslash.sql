SELECT v--Å'
FROM t WHERE '\'; DELETE FROM t; -- '