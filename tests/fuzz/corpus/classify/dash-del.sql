SELECT 1 --'
; DELETE FROM t WHERE id=3; -- '