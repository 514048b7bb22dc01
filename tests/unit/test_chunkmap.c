/* SPDX-License-Identifier: MIT */
/*
 * test_chunkmap.c - white-box tests of the address-to-chunk map: an
 * address maps to the chunk set over it, for every granule and its last
 * byte, and to nothing just outside; clear forgets a chunk and leaves its
 * neighbours; a chunk across a leaf boundary; addresses beyond 48 bits
 * are refused and never found, and a chunk that ends exactly at 2^48 is
 * in the map; and threads that set chunks in a fresh
 * region at once (racing to install its leaf) all find theirs (a race:
 * a broken install is caught often, not always).
 *
 * The map holds addresses only (it never touches the memory), so the
 * tests use addresses of regions the program does not map, each test a
 * region of its own, and stand-in chunk pointers.
 */
#include "chunkmap.h"
#include "test-common.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>

#define GRANULE ((uintptr_t)1 << LFP_CHUNKMAP_GRANULE_SHIFT)
/* The address space one leaf covers (4 GiB). */
#define LEAF_SPAN ((uintptr_t)1 << (LFP_CHUNKMAP_GRANULE_SHIFT + \
				    LFP_CHUNKMAP_LEAF_BITS))

/* Region @k (of 4 GiB) near the top of the map, where nothing maps. */
static uintptr_t
region(unsigned int k)
{
	return ((uintptr_t)1 << LFP_CHUNKMAP_ADDR_BITS) - (k + 1) * LEAF_SPAN;
}

/* Stand-in chunks: distinct non-NULL pointers, never dereferenced. */
static char chunk_ids[64];
#define CHUNK(i) ((struct lfp_chunk *)(void *)&chunk_ids[i])

static struct lfp_chunk *
at(uintptr_t a)
{
	return lfp_chunkmap_get((const void *)a);
}

START_TEST(test_set_get_clear)
{
	uintptr_t base = region(1) + 16 * GRANULE;
	size_t size = 4 * GRANULE;

	ck_assert_ptr_null(at(base));
	ck_assert_int_eq(lfp_chunkmap_set((void *)base, size, CHUNK(1)), 0);
	for (uintptr_t a = base; a < base + size; a += GRANULE) {
		ck_assert_ptr_eq(at(a), CHUNK(1));
		ck_assert_ptr_eq(at(a + GRANULE / 2), CHUNK(1));
		ck_assert_ptr_eq(at(a + GRANULE - 1), CHUNK(1));
	}
	ck_assert_ptr_null(at(base - 1));
	ck_assert_ptr_null(at(base + size));
	lfp_chunkmap_clear((void *)base, size);
	for (uintptr_t a = base; a < base + size; a += GRANULE)
		ck_assert_ptr_null(at(a));
}
END_TEST

START_TEST(test_neighbours)
{
	uintptr_t a = region(2) + 8 * GRANULE;
	uintptr_t b = a + GRANULE;      /* right after a's one granule */
	uintptr_t c = b + 2 * GRANULE;  /* right after b's two */

	ck_assert_int_eq(lfp_chunkmap_set((void *)a, GRANULE, CHUNK(1)), 0);
	ck_assert_int_eq(lfp_chunkmap_set((void *)b, 2 * GRANULE, CHUNK(2)), 0);
	ck_assert_int_eq(lfp_chunkmap_set((void *)c, GRANULE, CHUNK(3)), 0);
	ck_assert_ptr_eq(at(b - 1), CHUNK(1));
	ck_assert_ptr_eq(at(b), CHUNK(2));
	ck_assert_ptr_eq(at(c - 1), CHUNK(2));
	ck_assert_ptr_eq(at(c), CHUNK(3));
	lfp_chunkmap_clear((void *)b, 2 * GRANULE);
	ck_assert_ptr_eq(at(a), CHUNK(1));
	ck_assert_ptr_null(at(b));
	ck_assert_ptr_null(at(c - 1));
	ck_assert_ptr_eq(at(c), CHUNK(3));
	/* The granules of a cleared chunk can take another. */
	ck_assert_int_eq(lfp_chunkmap_set((void *)b, GRANULE, CHUNK(4)), 0);
	ck_assert_ptr_eq(at(b), CHUNK(4));
	ck_assert_ptr_null(at(b + GRANULE));
	lfp_chunkmap_clear((void *)a, 4 * GRANULE);
	ck_assert_ptr_null(at(a));
	ck_assert_ptr_null(at(c));
}
END_TEST

/* A chunk whose first granule is the last of one leaf. */
START_TEST(test_across_leaves)
{
	uintptr_t edge = region(4);     /* region 3 ends here */
	uintptr_t base = edge - GRANULE;
	size_t size = 3 * GRANULE;

	ck_assert_int_eq(lfp_chunkmap_set((void *)base, size, CHUNK(5)), 0);
	ck_assert_ptr_eq(at(base), CHUNK(5));
	ck_assert_ptr_eq(at(edge - 1), CHUNK(5));
	ck_assert_ptr_eq(at(edge), CHUNK(5));
	ck_assert_ptr_eq(at(base + size - 1), CHUNK(5));
	ck_assert_ptr_null(at(base - 1));
	ck_assert_ptr_null(at(base + size));
	lfp_chunkmap_clear((void *)base, size);
	ck_assert_ptr_null(at(base));
	ck_assert_ptr_null(at(edge));
}
END_TEST

START_TEST(test_beyond_48_bits)
{
	uintptr_t top = (uintptr_t)1 << LFP_CHUNKMAP_ADDR_BITS;
	uintptr_t last = top - GRANULE;

	/* Ends past the map: refused, and nothing of it set. */
	ck_assert_int_eq(lfp_chunkmap_set((void *)last, 2 * GRANULE,
					  CHUNK(6)), ENOMEM);
	ck_assert_ptr_null(at(last));
	ck_assert_int_eq(lfp_chunkmap_set((void *)top, GRANULE, CHUNK(6)),
			 ENOMEM);
	ck_assert_ptr_null(at(top));
	ck_assert_ptr_null(at(UINTPTR_MAX));
	/* Right below: a chunk like any other, and still nothing above. */
	ck_assert_int_eq(lfp_chunkmap_set((void *)(last - GRANULE), GRANULE,
					  CHUNK(7)), 0);
	ck_assert_ptr_eq(at(last - 1), CHUNK(7));
	ck_assert_ptr_null(at(last));
	ck_assert_ptr_null(at(top));
	lfp_chunkmap_clear((void *)(last - GRANULE), GRANULE);
	ck_assert_ptr_null(at(last - 1));
	/* The last granule, ending exactly at the map's end, is in it. */
	ck_assert_int_eq(lfp_chunkmap_set((void *)last, GRANULE, CHUNK(8)), 0);
	ck_assert_ptr_eq(at(last), CHUNK(8));
	ck_assert_ptr_eq(at(top - 1), CHUNK(8));
	ck_assert_ptr_null(at(top));
	lfp_chunkmap_clear((void *)last, GRANULE);
	ck_assert_ptr_null(at(top - 1));
}
END_TEST

/*
 * Threads set a granule each in one fresh region at once, so that several
 * race to install its leaf: one leaf must win, once, or the entries set in
 * a leaf that another replaces are lost.
 */
#define RACERS 8
#define RACE_ROUNDS 128

struct racer {
	pthread_barrier_t *bar;
	unsigned int id;
	int rc[RACE_ROUNDS];
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	for (unsigned int k = 0; k < RACE_ROUNDS; k++) {
		uintptr_t a = region(16 + k) + r->id * 3 * GRANULE;

		pthread_barrier_wait(r->bar);
		r->rc[k] = lfp_chunkmap_set((void *)a, GRANULE, CHUNK(r->id));
	}
	return NULL;
}

START_TEST(test_leaf_race)
{
	pthread_barrier_t bar;
	struct racer r[RACERS];
	pthread_t t[RACERS];

	ck_assert_int_eq(pthread_barrier_init(&bar, NULL, RACERS), 0);
	for (unsigned int i = 0; i < RACERS; i++) {
		r[i].bar = &bar;
		r[i].id = i + 1;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	for (unsigned int i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	pthread_barrier_destroy(&bar);
	for (unsigned int k = 0; k < RACE_ROUNDS; k++) {
		for (unsigned int i = 0; i < RACERS; i++) {
			uintptr_t a = region(16 + k) + r[i].id * 3 * GRANULE;

			ck_assert_int_eq(r[i].rc[k], 0);
			ck_assert_msg(at(a) == CHUNK(r[i].id),
				      "round %u: racer %u's chunk lost", k,
				      r[i].id);
			ck_assert_ptr_null(at(a + GRANULE));
			lfp_chunkmap_clear((void *)a, GRANULE);
		}
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("chunkmap");
	TCase *tc = lfp_test_tcase(s, "chunkmap");

	tcase_add_test(tc, test_set_get_clear);
	tcase_add_test(tc, test_neighbours);
	tcase_add_test(tc, test_across_leaves);
	tcase_add_test(tc, test_beyond_48_bits);
	tcase_add_test(tc, test_leaf_race);
	return lfp_test_run(s);
}
