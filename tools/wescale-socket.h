/*
 * wescale-socket.h — the statistics socket part of the wescale(1) tool.
 */
#ifndef WESCALE_SOCKET_H
#define WESCALE_SOCKET_H

enum ws_cli_format { WS_CLI_TABLE, WS_CLI_JSON, WS_CLI_PROMETHEUS };

/* Exit status when the process cannot be asked (as for an unreachable node). */
#define WS_CLI_EXIT_NODES 2

/* Print what the process serving `path` says, in `format`; the exit status. */
int ws_cli_socket_status(const char *path, enum ws_cli_format format);

#endif
