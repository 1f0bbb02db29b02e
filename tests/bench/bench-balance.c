/*
 * bench-balance.c — what choosing a replica costs: ws_balance_choose() plus the
 * counter updates around a statement (ws_node_begin/ws_node_end), per policy,
 * with 2 and 8 replicas, from 1 and from 64 threads hammering the same nodes.
 * Prints ns per pick (median of 5 runs). No server needed.
 *
 *   bench-balance [ITERATIONS_PER_THREAD]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balance.h"
#include "config.h"
#include "topology.h"

static struct ws_cluster_rt *rt;
static enum ws_balance policy;
static size_t n_cand;
static long iterations = 200000;
static volatile size_t sink;

static void *worker(void *arg)
{
	unsigned cand[8];
	size_t acc = 0;

	(void)arg;
	for (unsigned i = 0; i < 8; i++)
		cand[i] = i;
	for (long i = 0; i < iterations; i++) {
		size_t k = ws_balance_choose(policy, rt, cand, n_cand, __atomic_fetch_add(&rt->rr, 1, __ATOMIC_RELAXED));
		struct ws_node_rt *n = &rt->replicas[cand[k]];

		ws_node_begin(n, ws_now_us());
		ws_node_end(n, 300 + (uint64_t)(i & 63), false);
		acc += k;
	}
	sink += acc;
	return NULL;
}

static double cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* CPU time per pick over all threads: on a 2-core machine 64 threads share the
 * cores, so wall time says little; CPU time includes what contention on the
 * shared counters (cache lines bouncing between cores) costs. */
static double run(int threads)
{
	pthread_t th[64];
	double t0 = cpu_ns();

	for (int i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, NULL);
	for (int i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	return (cpu_ns() - t0) / ((double)iterations * threads);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const char conf[] = "[cluster b]\nprimary = 10.0.0.1:3306\n"
				   "replicas = 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.8, 10.0.0.9\n";
	static const enum ws_balance policies[] = { WS_BALANCE_ROUND_ROBIN, WS_BALANCE_RANDOM, WS_BALANCE_LEAST_RT,
						   WS_BALANCE_LEAST_QPS, WS_BALANCE_LEAST_BEHIND_PRIMARY };
	struct ws_config *cfg;

	if (argc > 1)
		iterations = atol(argv[1]);
	if (ws_config_load_string("bench", conf, sizeof(conf) - 1, &cfg) < 0 || cfg->n_errors ||
	    ws_topology_init(cfg) < 0)
		return 1;
	rt = ws_topology_cluster(&cfg->clusters[0]);
	printf("balancer pick + counter update: CPU ns per pick (median of 5 runs), %ld picks per thread\n", iterations);
	printf("  %-22s %10s %10s %10s %10s\n", "policy", "2 nodes/1t", "2 nodes/64t", "8 nodes/1t", "8 nodes/64t");
	for (size_t p = 0; p < sizeof(policies) / sizeof(policies[0]); p++) {
		double r[4];

		policy = policies[p];
		for (int c = 0; c < 4; c++) {
			double runs[5];

			n_cand = c < 2 ? 2 : 8;
			for (int k = 0; k < 5; k++)
				runs[k] = run(c % 2 ? 64 : 1);
			qsort(runs, 5, sizeof(runs[0]), cmp);
			r[c] = runs[2];
		}
		printf("  %-22s %10.1f %10.1f %10.1f %10.1f\n", ws_balance_to_string(policy), r[0], r[1], r[2], r[3]);
	}
	ws_config_free(cfg);
	return 0;
}
