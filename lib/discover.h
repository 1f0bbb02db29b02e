/*
 * discover.h — replicas found without a configuration change
 * (discover_replicas = on; see discover.c).
 */
#ifndef WS_DISCOVER_H
#define WS_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mysql.h>

/* One replica a primary lists (SHOW SLAVE HOSTS / SHOW REPLICAS). */
struct ws_discovered {
	char host[256];
	unsigned port;
	uint32_t server_id;
};

/*
 * The replicas the primary on connection m lists with a report_host and
 * report_port, up to n into out (flavor: enum ws_gtid_flavor). Returns how
 * many it lists (may exceed n), or -1 when the statement failed (the error is
 * on m: privileges, connection).
 */
int ws_discover_list(MYSQL *m, int flavor, struct ws_discovered *out, size_t n);

/*
 * Is the server on connection m the replica `d` of the primary at
 * primary_host:primary_port: its @@server_id is d's, and one of its
 * replication channels reads from that address? On failure *why says what did
 * not match (static text).
 */
bool ws_discover_confirm(MYSQL *m, int flavor, const struct ws_discovered *d, const char *primary_host,
			 unsigned primary_port, const char **why);

/* The monitor task (start-up registers it with the monitor, once a round). */
void ws_discover_task(void *ctx, unsigned interval_ms, bool stopping);

#endif /* WS_DISCOVER_H */
