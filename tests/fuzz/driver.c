/*
 * driver.c — a small, dependency-free mutation fuzzer for LLVMFuzzerTestOneInput
 * targets, so fuzzing runs in CI with gcc and the sanitizers.
 *
 *   fuzz-X [-t seconds] [-n max_runs] [-s seed] [corpus file or dir ...]
 *
 * Runs every corpus file once, then mutates corpus entries (and what the target
 * was fed) until the time or run budget is spent. Each input is copied into a
 * buffer of exactly its size, so AddressSanitizer reports any read past the end.
 * A target may define `ws_fuzz_dictionary` (NULL-terminated) to seed tokens.
 * Exit status 0 when no run crashed (a crash aborts the process).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *const ws_fuzz_dictionary[] __attribute__((weak));

#define FUZZ_MAX_INPUT 8192
#define MAX_CORPUS 4096

struct input {
	uint8_t *data;
	size_t size;
};

static struct input corpus[MAX_CORPUS];
static size_t n_corpus;
static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: fast, reproducible from the seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1Dull;
}

static void add_corpus(const uint8_t *data, size_t size)
{
	if (n_corpus >= MAX_CORPUS || size > FUZZ_MAX_INPUT)
		return;
	corpus[n_corpus].data = malloc(size ? size : 1);
	if (!corpus[n_corpus].data)
		return;
	memcpy(corpus[n_corpus].data, data, size);
	corpus[n_corpus].size = size;
	n_corpus++;
}

static void run_one(const uint8_t *data, size_t size)
{
	/* Exact-size copy: a read past `size` is a heap overflow ASan sees. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return;
	memcpy(copy, data, size);
	LLVMFuzzerTestOneInput(copy, size);
	free(copy);
}

static void load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t buf[FUZZ_MAX_INPUT];
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	add_corpus(buf, n);
	run_one(buf, n);
}

static void load_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	d = opendir(path);
	if (!d)
		return;
	while ((e = readdir(d))) {
		char p[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		load_file(p);
	}
	closedir(d);
}

static size_t mutate(uint8_t *buf, size_t size, size_t cap)
{
	unsigned n_ops = 1 + (unsigned)(rnd() % 4);

	for (unsigned k = 0; k < n_ops; k++) {
		switch (rnd() % 8) {
		case 0: /* flip a bit */
			if (size)
				buf[rnd() % size] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1: /* random byte */
			if (size)
				buf[rnd() % size] = (uint8_t)rnd();
			break;
		case 2: /* insert a byte, often a significant one */
			if (size < cap) {
				static const char sig[] = "'\"`;()/*-#\\@!,. \n\t=:0123456789";
				size_t at = rnd() % (size + 1);

				memmove(buf + at + 1, buf + at, size - at);
				buf[at] = (rnd() & 1) ? (uint8_t)sig[rnd() % (sizeof(sig) - 1)] : (uint8_t)rnd();
				size++;
			}
			break;
		case 3: /* delete a range */
			if (size) {
				size_t at = rnd() % size, len = 1 + rnd() % 8;

				if (len > size - at)
					len = size - at;
				memmove(buf + at, buf + at + len, size - at - len);
				size -= len;
			}
			break;
		case 4: /* duplicate a range */
			if (size) {
				size_t at = rnd() % size, len = 1 + rnd() % 16;

				if (len > size - at)
					len = size - at;
				if (size + len <= cap) {
					memmove(buf + at + len, buf + at, size - at);
					size += len;
				}
			}
			break;
		case 5: /* splice in another corpus entry */
			if (n_corpus) {
				struct input *o = &corpus[rnd() % n_corpus];
				size_t at = rnd() % (size + 1), len = o->size ? rnd() % (o->size + 1) : 0;

				if (size + len <= cap) {
					memmove(buf + at + len, buf + at, size - at);
					memcpy(buf + at, o->data, len);
					size += len;
				}
			}
			break;
		case 6: /* insert a dictionary token */
			if (ws_fuzz_dictionary && ws_fuzz_dictionary[0]) {
				size_t nd = 0, at, len;
				const char *tok;

				while (ws_fuzz_dictionary[nd])
					nd++;
				tok = ws_fuzz_dictionary[rnd() % nd];
				len = strlen(tok);
				at = rnd() % (size + 1);
				if (size + len <= cap) {
					memmove(buf + at + len, buf + at, size - at);
					memcpy(buf + at, tok, len);
					size += len;
				}
			}
			break;
		case 7: /* truncate */
			if (size)
				size = rnd() % size;
			break;
		}
	}
	return size;
}

int main(int argc, char **argv)
{
	double seconds = 10;
	unsigned long long max_runs = 0, runs = 0;
	uint64_t seed = (uint64_t)time(NULL);
	uint8_t buf[FUZZ_MAX_INPUT];
	struct timespec t0, t;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			max_runs = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else
			load_path(argv[i]);
	}
	rng_state = seed ? seed : 1;
	if (ws_fuzz_dictionary)
		for (size_t d = 0; ws_fuzz_dictionary[d]; d++)
			add_corpus((const uint8_t *)ws_fuzz_dictionary[d], strlen(ws_fuzz_dictionary[d]));
	if (n_corpus == 0)
		add_corpus((const uint8_t *)"", 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct input *base = &corpus[rnd() % n_corpus];
		size_t size = base->size;

		memcpy(buf, base->data, size);
		size = mutate(buf, size, sizeof(buf));
		run_one(buf, size);
		runs++;
		/* Keep some mutants as new seeds so inputs grow in structure. */
		if ((rnd() % 64) == 0)
			add_corpus(buf, size);
		if (max_runs && runs >= max_runs)
			break;
		if ((runs & 255) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			if ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 >= seconds)
				break;
		}
	}
	printf("%s: %llu runs, seed %llu, corpus %zu: no crash\n", argv[0], runs,
	       (unsigned long long)seed, n_corpus);
	return 0;
}
