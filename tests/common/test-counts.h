/* SPDX-License-Identifier: MIT */
/*
 * test-counts.h - counted objects for the API tests: a constructor and a
 * destructor that count their calls in a struct counts (the pool's arg),
 * stamp each object's head with a magic and catch a destructor run twice
 * or on an object never constructed; the constructor can be told to fail
 * with an errno value.
 */
#ifndef LFP_TEST_COUNTS_H
#define LFP_TEST_COUNTS_H

#include <stdatomic.h>
#include <stdint.h>

#define OBJ_MAGIC 0x6c66706f6f6c4f4bULL
#define OBJ_POISON 0xdeadbeefdeadbeefULL

/* What the counting constructor and destructor saw, for one pool. */
struct counts {
	atomic_ulong ctors;     /* successful constructor calls */
	atomic_ulong dtors;     /* destructor calls */
	atomic_ulong bad_dtors; /* destructor calls on unconstructed objects */
	atomic_ulong failures;  /* constructor calls told to fail */
	atomic_int fail;        /* errno value the constructor returns, or 0 */
};

/* The head of every object of a counted pool. */
struct tobj {
	uint64_t magic;
	uint64_t value;
};

static inline int
count_ctor(void *obj, void *arg)
{
	struct counts *c = arg;
	struct tobj *o = obj;
	int err = atomic_load(&c->fail);

	if (err) {
		atomic_fetch_add(&c->failures, 1);
		return err;
	}
	o->magic = OBJ_MAGIC;
	o->value = 0;
	atomic_fetch_add(&c->ctors, 1);
	return 0;
}

static inline void
count_dtor(void *obj, void *arg)
{
	struct counts *c = arg;
	struct tobj *o = obj;

	/* A second destructor call, or one on a failed object, shows here. */
	if (o->magic != OBJ_MAGIC)
		atomic_fetch_add(&c->bad_dtors, 1);
	o->magic = OBJ_POISON;
	atomic_fetch_add(&c->dtors, 1);
}

/* A counter's value, as a plain call so failed assertions read well. */
static inline unsigned long
count_of(atomic_ulong *counter)
{
	return atomic_load(counter);
}

static inline void
counts_init(struct counts *c)
{
	atomic_init(&c->ctors, 0);
	atomic_init(&c->dtors, 0);
	atomic_init(&c->bad_dtors, 0);
	atomic_init(&c->failures, 0);
	atomic_init(&c->fail, 0);
}

#endif /* LFP_TEST_COUNTS_H */
