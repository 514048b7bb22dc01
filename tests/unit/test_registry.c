/* SPDX-License-Identifier: MIT */
/*
 * test_registry.c - white-box tests of the registry of live zones: add
 * gives each zone a slot of its own and an id never given before; get
 * finds a zone by {slot, id} and nothing by a stale, zero or foreign key;
 * a removed zone is found no more, and sync waits for the readers that
 * pinned it (a pin taken by a stale key is not left behind); a slot is
 * reused only once freed, with a new id; freeing one of several removed
 * slots keeps sync waiting for the others; the walk of every zone finds
 * each live one once, pinned; and add refuses with EAGAIN when every slot
 * is taken.
 *
 * The registry keeps a zone's pointer and never reads through it (the
 * slot and id it hands back at add are the zone's to keep), so the tests
 * register stand-ins that keep only those two, and remove every one
 * before the test returns (fork() handling would reach into a registered
 * zone).
 */
#include "registry.h"
#include "test-common.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* A stand-in zone: what the registry hands back at add. */
struct stub {
	uint32_t slot;
	uint64_t id;
};

/* The pointer the registry keeps for @z. */
#define Z(z) ((struct lfp_zone *)(void *)(z))

static int
stub_add(struct stub *z)
{
	return lfp_registry_add(Z(z), &z->slot, &z->id);
}

static struct stub *
zone_new(void)
{
	struct stub *z = calloc(1, sizeof(*z));

	ck_assert_ptr_nonnull(z);
	ck_assert_int_eq(stub_add(z), 0);
	ck_assert_ptr_eq(lfp_registry_get(z->slot, z->id), Z(z));
	lfp_registry_put(z->slot);
	return z;
}

static void
zone_gone(struct stub *z)
{
	lfp_registry_remove(z->slot);
	lfp_registry_sync();
	lfp_registry_free_slot(z->slot);
	free(z);
}

/* lfp_registry_sync() in a thread, to see whether it waits. */
struct syncer {
	pthread_t t;
	atomic_int done;
};

static void *
sync_body(void *arg)
{
	struct syncer *s = arg;

	lfp_registry_sync();
	atomic_store(&s->done, 1);
	return NULL;
}

static void
sync_start(struct syncer *s)
{
	atomic_init(&s->done, 0);
	ck_assert_int_eq(pthread_create(&s->t, NULL, sync_body, s), 0);
}

/* Whether the syncer is still waiting after a while (100 ms). */
static int
sync_waits(struct syncer *s)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	return !atomic_load(&s->done);
}

static void
sync_join(struct syncer *s)
{
	ck_assert_int_eq(pthread_join(s->t, NULL), 0);
	ck_assert_int_eq(atomic_load(&s->done), 1);
}

START_TEST(test_add_get)
{
	struct stub *z[3];

	for (int i = 0; i < 3; i++) {
		z[i] = zone_new();
		ck_assert_uint_ne(z[i]->id, 0);
		ck_assert_uint_lt(z[i]->slot, LFP_SLOTS_MAX);
		for (int j = 0; j < i; j++) {
			ck_assert_uint_ne(z[i]->slot, z[j]->slot);
			ck_assert_uint_gt(z[i]->id, z[j]->id);
		}
	}
	/* Only the zone's own key finds it. */
	ck_assert_ptr_null(lfp_registry_get(z[0]->slot, z[1]->id));
	ck_assert_ptr_null(lfp_registry_get(z[1]->slot, z[0]->id));
	ck_assert_ptr_null(lfp_registry_get(z[0]->slot, 0));
	ck_assert_ptr_null(lfp_registry_get(LFP_SLOTS_MAX, z[0]->id));
	ck_assert_ptr_eq(lfp_registry_get(z[2]->slot, z[2]->id), Z(z[2]));
	lfp_registry_put(z[2]->slot);
	/* A failed get leaves no pin: these return at once. */
	for (int i = 0; i < 3; i++)
		zone_gone(z[i]);
}
END_TEST

START_TEST(test_remove_waits_for_readers)
{
	struct stub *z = zone_new();
	struct syncer s;

	ck_assert_ptr_eq(lfp_registry_get(z->slot, z->id), Z(z));
	/* A second pin of the same zone. */
	ck_assert_ptr_eq(lfp_registry_get(z->slot, z->id), Z(z));
	lfp_registry_remove(z->slot);
	ck_assert_ptr_null(lfp_registry_get(z->slot, z->id));
	sync_start(&s);
	ck_assert_msg(sync_waits(&s), "sync returned with two pins held");
	lfp_registry_put(z->slot);
	ck_assert_msg(sync_waits(&s), "sync returned with a pin held");
	lfp_registry_put(z->slot);
	sync_join(&s);
	lfp_registry_free_slot(z->slot);
	free(z);
}
END_TEST

/*
 * The walk of every zone (lfp_registry_get_next()): each live zone once,
 * in slot order, pinned (a remove's sync waits for it); a removed one is
 * skipped.
 */
START_TEST(test_get_next)
{
	struct stub *z[4];
	struct lfp_zone *w;
	struct syncer s;
	int seen[4] = { 0 }, n = 0;
	uint32_t slot, last = 0;

	for (int i = 0; i < 4; i++)
		z[i] = zone_new();
	lfp_registry_remove(z[1]->slot);
	for (slot = 0; (w = lfp_registry_get_next(&slot)); slot++) {
		ck_assert(n == 0 || slot > last);
		last = slot;
		for (int i = 0; i < 4; i++)
			if (w == Z(z[i])) {
				ck_assert_uint_eq(slot, z[i]->slot);
				seen[i]++;
			}
		n++;
		lfp_registry_put(slot);
	}
	ck_assert_int_eq(seen[0], 1);
	ck_assert_int_eq(seen[1], 0);
	ck_assert_int_eq(seen[2], 1);
	ck_assert_int_eq(seen[3], 1);
	/* A zone found by the walk is pinned until put. */
	slot = z[2]->slot;
	ck_assert_ptr_eq(lfp_registry_get_next(&slot), Z(z[2]));
	ck_assert_uint_eq(slot, z[2]->slot);
	lfp_registry_remove(z[2]->slot);
	sync_start(&s);
	ck_assert_msg(sync_waits(&s), "sync returned with a walker's pin held");
	lfp_registry_put(slot);
	sync_join(&s);
	lfp_registry_free_slot(z[1]->slot);
	lfp_registry_free_slot(z[2]->slot);
	free(z[1]);
	free(z[2]);
	zone_gone(z[0]);
	zone_gone(z[3]);
}
END_TEST

START_TEST(test_slot_reuse)
{
	struct stub *a = zone_new(), *b, *c;
	uint32_t slot = a->slot;
	uint64_t old_id = a->id;

	lfp_registry_remove(a->slot);
	lfp_registry_sync();
	/* Removed but not freed: no one else gets the slot yet. */
	b = zone_new();
	ck_assert_uint_ne(b->slot, slot);
	lfp_registry_free_slot(a->slot);
	c = zone_new();
	ck_assert_uint_eq(c->slot, slot);
	ck_assert_uint_gt(c->id, b->id);
	/* The old key finds nothing in the reused slot; the new one does. */
	ck_assert_ptr_null(lfp_registry_get(slot, old_id));
	ck_assert_ptr_eq(lfp_registry_get(slot, c->id), Z(c));
	lfp_registry_put(slot);
	free(a);
	zone_gone(b);
	zone_gone(c);
}
END_TEST

/*
 * Removed slots wait in a list for sync; freeing one moves the list's
 * last entry into its place. Sync must still wait for the others.
 */
START_TEST(test_free_one_of_removed)
{
	struct stub *z[4];
	struct syncer s;

	for (int i = 0; i < 4; i++)
		z[i] = zone_new();
	ck_assert_ptr_eq(lfp_registry_get(z[1]->slot, z[1]->id), Z(z[1]));
	ck_assert_ptr_eq(lfp_registry_get(z[3]->slot, z[3]->id), Z(z[3]));
	for (int i = 0; i < 4; i++)
		lfp_registry_remove(z[i]->slot);
	/* Twice is once: the slot is listed once. */
	lfp_registry_remove(z[2]->slot);
	lfp_registry_free_slot(z[0]->slot);
	lfp_registry_free_slot(z[2]->slot);
	sync_start(&s);
	ck_assert_msg(sync_waits(&s), "sync returned with two pins held");
	/* z[3]'s slot, last of the list, moved into the freed places. */
	lfp_registry_put(z[1]->slot);
	ck_assert_msg(sync_waits(&s), "sync forgot the pinned slot %u",
		      z[3]->slot);
	lfp_registry_put(z[3]->slot);
	sync_join(&s);
	lfp_registry_free_slot(z[1]->slot);
	lfp_registry_free_slot(z[3]->slot);
	for (int i = 0; i < 4; i++)
		free(z[i]);
}
END_TEST

START_TEST(test_full)
{
	struct stub *one = calloc(1, sizeof(*one)), *z = zone_new();
	uint32_t *slots = calloc(LFP_SLOTS_MAX, sizeof(*slots));
	uint32_t n = 0, freed;

	ck_assert_ptr_nonnull(slots);
	ck_assert_ptr_nonnull(one);
	/* Take every slot left (one stand-in zone registered many times). */
	while (stub_add(one) == 0) {
		ck_assert_uint_lt(n, LFP_SLOTS_MAX);
		slots[n++] = one->slot;
	}
	ck_assert_uint_eq(n, LFP_SLOTS_MAX - 1);
	ck_assert_int_eq(stub_add(one), EAGAIN);
	/* A zone gone makes room for one. */
	freed = z->slot;
	zone_gone(z);
	z = zone_new();
	ck_assert_uint_eq(z->slot, freed);
	ck_assert_int_eq(stub_add(one), EAGAIN);
	for (uint32_t i = 0; i < n; i++) {
		one->slot = slots[i];
		lfp_registry_remove(one->slot);
	}
	lfp_registry_sync();
	for (uint32_t i = 0; i < n; i++) {
		one->slot = slots[i];
		lfp_registry_free_slot(one->slot);
	}
	zone_gone(z);
	free(one);
	free(slots);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = lfp_test_tcase(s, "registry");

	tcase_add_test(tc, test_add_get);
	tcase_add_test(tc, test_remove_waits_for_readers);
	tcase_add_test(tc, test_get_next);
	tcase_add_test(tc, test_slot_reuse);
	tcase_add_test(tc, test_free_one_of_removed);
	tcase_add_test(tc, test_full);
	/* A pin left behind shows as a sync that never returns. */
	tcase_set_timeout(tc, 30);
	return lfp_test_run(s);
}
