/* c */ SELECT 1 -- x
# y
/*+ BKA(t) */ FROM t /*! WHERE 1 */ /*!50700 AND 2 */ /*M!100100 AND 3 */