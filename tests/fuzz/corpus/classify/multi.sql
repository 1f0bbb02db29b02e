SELECT 1; ; SELECT 2;
DELETE FROM t; USE `db`; SELECT @x ; -- end
