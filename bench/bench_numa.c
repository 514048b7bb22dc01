/* SPDX-License-Identifier: MIT */
/*
 * bench_numa.c - what freeing on another NUMA node costs: a producer
 * thread gets 64-byte objects from an object pool and passes them through
 * a bounded single-producer single-consumer ring to a consumer thread that
 * puts them back, the producer pinned to CPU 0 and the consumer to CPU 1.
 * Two configurations, each in a child process of its own, since the
 * library reads its topology once per process (LFP_TOPOLOGY, set in the
 * child before its first lfpool call):
 *  - same node:       "numa:1 core:2 pu:1", CPUs 0 and 1 on node 0;
 *  - different nodes: "numa:2 core:1 pu:1", CPU 0 on node 0, CPU 1 on
 *    node 1: every object the consumer frees is remote and goes back to
 *    node 0's depot, a magazine at a time.
 * Both run per-CPU and per-thread caches (placement LOCAL). The program
 * reports ns per object (end to end: from the producer's start to the
 * consumer's last put), the pool's per-node counters over the timed runs
 * (local and remote gets, remote frees), and different/same: the cost of
 * a remote free per object against a local one. The topologies are
 * synthetic, so memory is not bound and nothing crosses a real node: what
 * is measured is the library's own work for home return (chunk lookups,
 * sorting magazines by home), not the interconnect.
 *
 * The ring's indexes are published every BATCH objects, so that what
 * each object costs is mostly its own cache line and the pool's work; how
 * often each side waited for the other is reported with the times (the
 * remote frees' work falls on the consumer, and shows in the throughput
 * only while the consumer is the slower side).
 *
 * With -m, both configurations run on the machine's own topology instead
 * (a real NUMA machine, or make check-vm's virtual machines): the producer
 * on the first CPU of node 0, the consumer on another CPU of node 0 (same
 * node) or on the first CPU of the next node with memory (different
 * nodes), found in sysfs; memory is bound for real, and the pool sees
 * every node of the machine in both.
 *
 * Runs are interleaved: each round forks one child per configuration
 * (alternating which goes first), and each child runs both cache modes
 * (alternating which goes first), after an untimed warm-up of its own.
 * Without -n, a first child calibrates the object count per mode to about
 * -d ms in the same-node configuration; both configurations then move the
 * same number of objects. Objects carry their ring position, which the
 * consumer checks (none lost, none twice, in order), and the pool's gets
 * and puts must match: a wrong result stops the program; a slow or
 * unpinned run is only reported.
 */
#include "bench-common.h"
#include "test-sysnode.h"	/* the kernel's nodes, read from sysfs */

#include <sys/wait.h>

#define OBJ_SIZE 64u
#define RING_SLOTS 256u		/* power of two */
#define BATCH 16u		/* objects between two index stores */
#define WARM_MIN 20000u		/* objects of a child's untimed warm-up */
#define RUN_MS 100u		/* default -d */
#define STAT_NODES 2u		/* nodes whose counters a record carries */

static const char what[] =
	"bench_numa: ns per 64-byte object, producer on CPU 0 -> SPSC ring "
	"-> consumer on CPU 1, same and different (synthetic; -m: real) NUMA "
	"nodes";

enum { CFG_SAME, CFG_DIFF, NCFGS };
enum { MODE_PCPU, MODE_PT, NMODES };

static struct config {
	const char *name;	/* in the table */
	const char *key;	/* in RESULT lines */
	const char *topology;	/* LFP_TOPOLOGY of its children; NULL: the
				   machine's own (-m) */
	unsigned int nnodes;	/* nodes the pool should see */
	int cpu[2];		/* the producer's and the consumer's CPU */
} configs[NCFGS] = {
	[CFG_SAME] = { "same node", "same_node", "numa:1 core:2 pu:1", 1,
		       { 0, 1 } },
	[CFG_DIFF] = { "different nodes", "different_nodes",
		       "numa:2 core:1 pu:1", 2, { 0, 1 } },
};

/* The configuration this child runs (its pair's threads pin by it). */
static int child_cfg;

static const char extra_usage[] =
	"  -m          the machine's own topology, CPUs found in sysfs "
	"(default: synthetic)\n";
static bool own_topology;

static void
extra_opt(int opt, const char *arg)
{
	(void)arg;
	if (opt == 'm')
		own_topology = true;
}

/* The lowest CPU of @set that this process may use, other than @not. */
static int
first_cpu(const bool *set, const cpu_set_t *allowed, int not)
{
	for (int c = 0; c < LFP_TEST_MAXCPUS && c < CPU_SETSIZE; c++)
		if (set[c] && CPU_ISSET(c, allowed) && c != not)
			return c;
	return -1;
}

/*
 * -m: both configurations on the machine's own nodes (sysfs): the
 * producer on node 0's first CPU; the consumer on its second (same) or on
 * node 1's first (different; node 1 must have memory), so that the
 * counters of nodes 0 and 1 are the producer's and the consumer's.
 */
static void
use_own_topology(void)
{
	static bool node0[LFP_TEST_MAXCPUS], node1[LFP_TEST_MAXCPUS];
	bool online[LFP_TEST_MAXNODES];
	cpu_set_t allowed;
	int nodes, diff;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		bench_die("sched_getaffinity: %s", strerror(errno));
	nodes = lfp_test_sys_nodes("online", online);
	if (nodes < 2 || !online[0] || !online[1] ||
	    !lfp_test_sys_node_has_memory(1) ||
	    lfp_test_sys_node_cpus(0, node0) < 0 ||
	    lfp_test_sys_node_cpus(1, node1) < 0)
		bench_die("-m needs kernel nodes 0 and 1, node 1 with memory");
	diff = first_cpu(node1, &allowed, -1);
	configs[CFG_SAME].cpu[0] = configs[CFG_DIFF].cpu[0] =
		first_cpu(node0, &allowed, -1);
	configs[CFG_SAME].cpu[1] = first_cpu(node0, &allowed,
					     configs[CFG_SAME].cpu[0]);
	configs[CFG_DIFF].cpu[1] = diff;
	if (configs[CFG_SAME].cpu[1] < 0 || diff < 0)
		bench_die("-m needs two CPUs on node 0 and a CPU on node 1");
	for (int k = 0; k < NCFGS; k++) {
		configs[k].topology = NULL;
		configs[k].nnodes = (unsigned int)nodes;
	}
}

static const struct mode {
	const char *name;
	const char *key;
	int cache_mode;
} modes[NMODES] = {
	[MODE_PCPU] = { "per-CPU", "percpu", LFP_CACHE_PER_CPU },
	[MODE_PT] = { "per-thread", "perthread", LFP_CACHE_PER_THREAD },
};

/* What the object carries: its position in the ring, set by the producer. */
struct obj {
	uint64_t seq;
	unsigned char pad[OBJ_SIZE - sizeof(uint64_t)];
};

/*
 * The ring. head counts the objects the producer has published, tail the
 * ones the consumer has taken; each index is written by one thread only
 * and sits on its own cache line. The slots are plain memory: who may
 * touch a slot is decided by the two indexes, whose release stores and
 * acquire loads order the slot accesses (see produce() and consume()).
 */
struct ring {
	_Alignas(64) _Atomic uint64_t head;
	_Alignas(64) _Atomic uint64_t tail;
	_Alignas(64) struct obj *slot[RING_SLOTS];
};

/*
 * A producer/consumer pair in a child: two threads that live for one
 * cache mode and run the jobs the child's main thread gives them. A job
 * is @n objects through the ring; n == 0 tells the threads to exit. The
 * barriers order the plain fields between the main thread and the pair.
 */
struct pair {
	struct ring ring;
	struct lfp_objpool *pool;
	struct bench_barrier go, done;	/* main thread + 2 */
	uint64_t n;			/* the job, set by the main thread */
	uint64_t t0, t1;		/* producer's start, consumer's end */
	int pin_err[2];			/* 0, or errno of sched_setaffinity */
	uint64_t full, empty;		/* waits of the last job, see below */
	pthread_t tid[2];
};

/* What a child reports to the parent for one cache mode. */
struct record {
	int cfg, mode;
	int actual_mode;	/* the mode the pool runs in */
	int pin_err;		/* 0, or the first pinning error */
	unsigned int nnodes;	/* nodes the pool saw */
	uint64_t iters;		/* objects timed (calibrated: per run) */
	uint64_t ns;		/* elapsed ns of the timed run */
	uint64_t full, empty;	/* times the producer found the ring full,
				   the consumer found it empty */
	uint64_t local_gets[STAT_NODES], remote_gets[STAT_NODES];
	uint64_t remote_frees[STAT_NODES];
};

static inline void
cpu_relax(unsigned int *spins)
{
	/* Let the other side run now and then if it shares our CPU. */
	if (++*spins % 4096 == 0) {
		sched_yield();
		return;
	}
	bench_pause();
}

/*
 * Each side publishes its index every BATCH objects, and before it waits
 * and at the end of a job, rather than after every object: the index
 * lines then cross between the CPUs once per batch, and what is left per
 * object is the object's own line and the pool's work.
 */
static void
produce(struct pair *p, uint64_t n)
{
	struct ring *r = &p->ring;
	/* Our own index: only this thread stores it. */
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	uint64_t shown = head;	/* the head the consumer may see */
	unsigned int spins = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct obj *o = lfp_objpool_get(p->pool);

		if (!o)
			bench_die("lfp_objpool_get: %s", strerror(errno));
		o->seq = head;
		if (head - tail == RING_SLOTS) {
			p->full++;
			/*
			 * Release: publishes the slots and stamps written
			 * since the last store; pairs with the consumer's
			 * acquire load of head.
			 */
			atomic_store_explicit(&r->head, head,
					      memory_order_release);
			shown = head;
			do {
				/*
				 * Acquire: pairs with the consumer's release
				 * store of tail, so its reads of the slots
				 * below tail are done before we write them
				 * again.
				 */
				tail = atomic_load_explicit(&r->tail,
							memory_order_acquire);
				if (head - tail == RING_SLOTS)
					cpu_relax(&spins);
			} while (head - tail == RING_SLOTS);
		}
		r->slot[head % RING_SLOTS] = o;
		head++;
		if (head - shown == BATCH) {
			/* Release: as above. */
			atomic_store_explicit(&r->head, head,
					      memory_order_release);
			shown = head;
		}
	}
	/* Release: as above, for the last partial batch. */
	atomic_store_explicit(&r->head, head, memory_order_release);
}

static void
consume(struct pair *p, uint64_t n)
{
	struct ring *r = &p->ring;
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	uint64_t shown = tail;	/* the tail the producer may see */
	unsigned int spins = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct obj *o;
		int rc;

		if (tail == head) {
			p->empty++;
			/*
			 * Release: our reads of the slots below tail come
			 * before the producer, which acquires tail, writes
			 * them again.
			 */
			atomic_store_explicit(&r->tail, tail,
					      memory_order_release);
			shown = tail;
			do {
				/*
				 * Acquire: pairs with the producer's release
				 * store of head: the slots and stamps it
				 * wrote before are visible once we see the
				 * new head.
				 */
				head = atomic_load_explicit(&r->head,
							memory_order_acquire);
				if (tail == head)
					cpu_relax(&spins);
			} while (tail == head);
		}
		o = r->slot[tail % RING_SLOTS];
		if (o->seq != tail)
			bench_die("object %llu of the ring carries stamp %llu: "
				  "an object was lost or handed out twice",
				  (unsigned long long)tail,
				  (unsigned long long)o->seq);
		tail++;
		if (tail - shown == BATCH) {
			/* Release: as above. */
			atomic_store_explicit(&r->tail, tail,
					      memory_order_release);
			shown = tail;
		}
		rc = lfp_objpool_put(p->pool, o);
		if (rc)
			bench_die("lfp_objpool_put: %s", strerror(-rc));
	}
	/* Release: as above, for the last partial batch. */
	atomic_store_explicit(&r->tail, tail, memory_order_release);
}

struct role {
	struct pair *p;
	int who;		/* 0: producer on CPU 0; 1: consumer on CPU 1 */
};

static struct role roles[2];

static void *
pair_main(void *arg)
{
	struct role *ro = arg;
	struct pair *p = ro->p;
	cpu_set_t one;

	CPU_ZERO(&one);
	CPU_SET(configs[child_cfg].cpu[ro->who], &one);
	if (sched_setaffinity(0, sizeof(one), &one))
		p->pin_err[ro->who] = errno;
	for (;;) {
		uint64_t n;

		bench_barrier_wait(&p->go);
		n = p->n;
		if (!n)
			break;
		if (ro->who == 0) {
			p->t0 = bench_now_ns();
			produce(p, n);
		} else {
			consume(p, n);
			p->t1 = bench_now_ns();
		}
		bench_barrier_wait(&p->done);
	}
	return NULL;
}

static void
pair_start(struct pair *p, int cache_mode)
{
	struct lfp_objpool_attr attr;
	int rc = lfp_objpool_attr_init(&attr);

	if (rc)
		bench_die("lfp_objpool_attr_init: %s", strerror(-rc));
	memset(p, 0, sizeof(*p));
	attr.size = OBJ_SIZE;
	attr.name = "bench_numa";
	attr.cache_mode = cache_mode;
	attr.placement = LFP_PLACE_LOCAL;
	p->pool = lfp_objpool_create(&attr);
	if (!p->pool)
		bench_die("lfp_objpool_create: %s", strerror(errno));
	bench_barrier_init(&p->go, 3);
	bench_barrier_init(&p->done, 3);
	for (int i = 0; i < 2; i++) {
		roles[i].p = p;
		roles[i].who = i;
		rc = pthread_create(&p->tid[i], NULL, pair_main, &roles[i]);
		if (rc)
			bench_die("pthread_create: %s", strerror(rc));
	}
}

/* Run one job of @n objects; returns its elapsed ns. */
static uint64_t
pair_job(void *arg, uint64_t n)
{
	struct pair *p = arg;

	p->n = n;
	p->full = p->empty = 0;
	bench_barrier_wait(&p->go);
	bench_barrier_wait(&p->done);
	return p->t1 > p->t0 ? p->t1 - p->t0 : 1;
}

static void
pair_stop(struct pair *p)
{
	p->n = 0;
	bench_barrier_wait(&p->go);
	for (int i = 0; i < 2; i++)
		pthread_join(p->tid[i], NULL);
	bench_barrier_destroy(&p->go);
	bench_barrier_destroy(&p->done);
}

static void
pool_stats(struct pair *p, struct lfp_objpool_stats *st)
{
	int rc = lfp_objpool_stats(p->pool, st);

	if (rc)
		bench_die("lfp_objpool_stats: %s", strerror(-rc));
}

static void
write_record(int fd, const struct record *rec)
{
	const char *b = (const char *)rec;
	size_t left = sizeof(*rec);

	while (left) {
		ssize_t k = write(fd, b, left);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			bench_die("write to the parent: %s", strerror(errno));
		b += k;
		left -= (size_t)k;
	}
}

static struct pair the_pair;

/*
 * One cache mode in a child: calibrate (@iters 0: the record's iters is
 * the count found), or warm up and time one run of @iters objects.
 */
static void
child_mode(int fd, int cfg, int mode, uint64_t iters, unsigned int run_ms)
{
	struct pair *p = &the_pair;
	struct lfp_objpool_stats s0, s1;
	struct record rec = { .cfg = cfg, .mode = mode };

	pair_start(p, modes[mode].cache_mode);
	if (!iters) {
		uint64_t target = (uint64_t)run_ms * 1000000u, t;

		/*
		 * Warm the pool up first (its first chunks cost page faults
		 * that would shorten the count), then check the count found
		 * with one run of it and scale once more.
		 */
		pair_job(p, 4 * WARM_MIN);
		iters = bench_calibrate(pair_job, p, target);
		t = pair_job(p, iters);
		iters = (uint64_t)((double)iters * (double)target / (double)t);
		rec.iters = iters ? iters : 1;
	} else {
		pair_job(p, iters / 8 > WARM_MIN ? iters / 8 : WARM_MIN);
		/* The pair waits at its barrier: the pool is quiet. */
		pool_stats(p, &s0);
		rec.ns = pair_job(p, iters);
		pool_stats(p, &s1);
		rec.iters = iters;
		rec.full = p->full;
		rec.empty = p->empty;
		if (s1.gets - s0.gets != iters || s1.puts - s0.puts != iters ||
		    s1.in_use)
			bench_die("%s, %s: %llu objects passed, but the pool "
				  "counted %llu gets and %llu puts, %llu in "
				  "use", configs[cfg].name, modes[mode].name,
				  (unsigned long long)iters,
				  (unsigned long long)(s1.gets - s0.gets),
				  (unsigned long long)(s1.puts - s0.puts),
				  (unsigned long long)s1.in_use);
		rec.actual_mode = s1.cache_mode;
		rec.nnodes = s1.nnodes;
		for (unsigned int k = 0; k < STAT_NODES; k++) {
			rec.local_gets[k] = s1.node[k].local_gets -
					    s0.node[k].local_gets;
			rec.remote_gets[k] = s1.node[k].remote_gets -
					     s0.node[k].remote_gets;
			rec.remote_frees[k] = s1.node[k].remote_frees -
					      s0.node[k].remote_frees;
		}
	}
	rec.pin_err = p->pin_err[0] ? p->pin_err[0] : p->pin_err[1];
	pair_stop(p);
	if (lfp_objpool_destroy(p->pool))
		bench_die("lfp_objpool_destroy failed");
	write_record(fd, &rec);
}

/*
 * Fork a child for configuration @cfg; it runs both modes (@first one
 * first) with @iters[mode] objects (0: calibrate) and writes a record per
 * mode to the pipe, which the parent reads into @out[mode].
 */
static void
run_child(int cfg, int first, const uint64_t *iters, unsigned int run_ms,
	  struct record *out)
{
	int fds[2], status, nrec = 0;
	pid_t pid;

	if (pipe(fds))
		bench_die("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		bench_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(fds[0]);
		/* Before any lfpool call: the library reads it once. */
		child_cfg = cfg;
		if (!configs[cfg].topology)
			unsetenv("LFP_TOPOLOGY");
		else if (setenv("LFP_TOPOLOGY", configs[cfg].topology, 1))
			bench_die("setenv: %s", strerror(errno));
		for (int i = 0; i < NMODES; i++) {
			int m = (first + i) % NMODES;

			child_mode(fds[1], cfg, m, iters[m], run_ms);
		}
		close(fds[1]);
		_exit(0);
	}
	close(fds[1]);
	for (int i = 0; i < NMODES; i++) {
		struct record rec;
		char *b = (char *)&rec;
		size_t got = 0;

		while (got < sizeof(rec)) {
			ssize_t k = read(fds[0], b + got, sizeof(rec) - got);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				break;
			got += (size_t)k;
		}
		if (got < sizeof(rec))
			break;
		if (rec.cfg != cfg || rec.mode < 0 || rec.mode >= NMODES)
			bench_die("a child sent a bad record");
		out[rec.mode] = rec;
		nrec++;
	}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			bench_die("waitpid: %s", strerror(errno));
	}
	if (WIFSIGNALED(status))
		bench_die("the %s child stopped on signal %d (see above)",
			  configs[cfg].name, WTERMSIG(status));
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		bench_die("the %s child failed (status %d)",
			  configs[cfg].name, WEXITSTATUS(status));
	if (nrec != NMODES)
		bench_die("the %s child sent %d records, not %d",
			  configs[cfg].name, nrec, NMODES);
}

/* Everything the parent keeps about one configuration and mode. */
struct cell {
	double ns[BENCH_MAX_RUNS];	/* per object, per run */
	double med_ns;
	uint64_t objs;			/* timed objects, all runs */
	uint64_t full, empty;		/* ring waits, all runs */
	uint64_t local_gets[STAT_NODES], remote_gets[STAT_NODES];
	uint64_t remote_frees[STAT_NODES];
	int actual_mode;		/* of the last run */
	bool mode_fallback;		/* some run was not in its mode */
	bool nodes_wrong;		/* some run saw other than nnodes */
	unsigned int nnodes_seen;
};

static struct cell cells[NCFGS][NMODES];
static double ratio[NMODES][BENCH_MAX_RUNS];	/* different/same, a round */
static double extra[NMODES][BENCH_MAX_RUNS];	/* different - same, ns */
static int pin_err;

static void
add_record(const struct record *rec, unsigned int run)
{
	struct cell *c = &cells[rec->cfg][rec->mode];

	c->ns[run] = (double)rec->ns / (double)rec->iters;
	c->objs += rec->iters;
	c->full += rec->full;
	c->empty += rec->empty;
	for (unsigned int k = 0; k < STAT_NODES; k++) {
		c->local_gets[k] += rec->local_gets[k];
		c->remote_gets[k] += rec->remote_gets[k];
		c->remote_frees[k] += rec->remote_frees[k];
	}
	c->actual_mode = rec->actual_mode;
	if (rec->actual_mode != modes[rec->mode].cache_mode)
		c->mode_fallback = true;
	if (rec->nnodes != configs[rec->cfg].nnodes)
		c->nodes_wrong = true;
	c->nnodes_seen = rec->nnodes;
	if (rec->pin_err && !pin_err)
		pin_err = rec->pin_err;
}

static double
pct(uint64_t a, uint64_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void
print_table(const struct bench_opts *o, const uint64_t *iters,
	    const double *med_ratio, const double *med_extra)
{
	printf("\n%-16s %-10s %8s %8s %8s %8s %7s %7s\n", "config", "mode",
	       "ns/obj", "Mops/s", "vs same", "+ns/obj", "full%", "empty%");
	for (int m = 0; m < NMODES; m++) {
		for (int k = 0; k < NCFGS; k++) {
			const struct cell *c = &cells[k][m];

			printf("%-16s %-10s %8.2f %8.2f", configs[k].name,
			       modes[m].name, c->med_ns, 1e3 / c->med_ns);
			if (k == CFG_DIFF)
				printf(" %8.2f %8.2f", med_ratio[m],
				       med_extra[m]);
			else
				printf(" %8s %8s", "", "");
			printf(" %7.2f %7.2f\n", pct(c->full, c->objs),
			       pct(c->empty, c->objs));
		}
	}
	printf("(ns/obj: the producer's start to the consumer's last put, "
	       "over the objects;\n vs same, +ns/obj: medians over the rounds "
	       "of each round's different/same\n ratio and difference; "
	       "full%%, empty%%: waits of the producer on a full ring, of\n "
	       "the consumer on an empty one, per 100 objects; "
	       "objects per run: %s %llu, %s %llu)\n",
	       modes[MODE_PCPU].key, (unsigned long long)iters[MODE_PCPU],
	       modes[MODE_PT].key, (unsigned long long)iters[MODE_PT]);

	printf("\npool counters over the %u timed runs, per node "
	       "(per object: of the objects timed)\n", o->runs);
	printf("%-16s %-10s %4s %12s %12s %12s %10s\n", "config", "mode",
	       "node", "local gets", "remote gets", "remote frees",
	       "rfree/obj");
	for (int m = 0; m < NMODES; m++) {
		for (int k = 0; k < NCFGS; k++) {
			const struct cell *c = &cells[k][m];

			if (c->nnodes_seen <= 1) {
				printf("%-16s %-10s %4u   (one node: the pool "
				       "keeps no per-node counters)\n",
				       configs[k].name, modes[m].name, 0);
				continue;
			}
			for (unsigned int nd = 0; nd < c->nnodes_seen &&
			     nd < STAT_NODES; nd++)
				printf("%-16s %-10s %4u %12llu %12llu %12llu "
				       "%10.3f\n", configs[k].name,
				       modes[m].name, nd,
				       (unsigned long long)c->local_gets[nd],
				       (unsigned long long)c->remote_gets[nd],
				       (unsigned long long)
				       c->remote_frees[nd],
				       (double)c->remote_frees[nd] /
				       (double)c->objs);
		}
	}
}

/* Facts about the run that change how to read it; never a failure. */
static void
print_notes(void)
{
	const struct cell *dp = &cells[CFG_DIFF][MODE_PCPU];

	if (pin_err)
		printf("note: pinning the threads failed (%s): they "
		       "float, so the nodes they ran on are not always the "
		       "ones named\n", strerror(pin_err));
	for (int k = 0; k < NCFGS; k++) {
		for (int m = 0; m < NMODES; m++) {
			const struct cell *c = &cells[k][m];

			if (c->nodes_wrong)
				printf("note: %s, %s: the pool saw %u node(s), "
				       "not %u: LFP_TOPOLOGY=\"%s\" was not "
				       "taken\n", configs[k].name,
				       modes[m].name, c->nnodes_seen,
				       configs[k].nnodes, configs[k].topology ?
				       configs[k].topology : "");
			if (c->mode_fallback)
				printf("note: %s, %s: per-CPU caches are not "
				       "available here, the pool ran "
				       "per-thread\n", configs[k].name,
				       modes[m].name);
		}
	}
	if (!dp->remote_frees[1])
		printf("note: different nodes, per-CPU: node 1 made no remote "
		       "free in the timed runs, so no home return was "
		       "measured (the consumer did not run on its CPU, or "
		       "nothing left its cache)\n");
}

static void
print_results(const struct bench_opts *o, const uint64_t *iters,
	      const double *med_ratio, const double *med_extra)
{
	for (int m = 0; m < NMODES; m++) {
		for (int k = 0; k < NCFGS; k++) {
			const struct cell *c = &cells[k][m];
			char name[64];

			snprintf(name, sizeof(name), "%s_%s", configs[k].key,
				 modes[m].key);
			bench_result("numa", name,
				     "ns_per_obj=%.3f\tmops=%.2f\t"
				     "ratio_same=%.3f\textra_ns_per_obj=%.3f\t"
				     "nodes=%u\tlocal_gets_node0=%llu\t"
				     "remote_gets_node0=%llu\t"
				     "remote_frees_node0=%llu\t"
				     "local_gets_node1=%llu\t"
				     "remote_gets_node1=%llu\t"
				     "remote_frees_node1=%llu\t"
				     "full_pct=%.3f\tempty_pct=%.3f\t"
				     "iters=%llu\truns=%u",
				     c->med_ns, 1e3 / c->med_ns,
				     k == CFG_DIFF ? med_ratio[m] : 1.0,
				     k == CFG_DIFF ? med_extra[m] : 0.0,
				     c->nnodes_seen,
				     (unsigned long long)c->local_gets[0],
				     (unsigned long long)c->remote_gets[0],
				     (unsigned long long)c->remote_frees[0],
				     (unsigned long long)c->local_gets[1],
				     (unsigned long long)c->remote_gets[1],
				     (unsigned long long)c->remote_frees[1],
				     pct(c->full, c->objs),
				     pct(c->empty, c->objs),
				     (unsigned long long)iters[m], o->runs);
		}
	}
	bench_result("numa", "remote_over_local",
		     "percpu=%.3f\tperthread=%.3f\textra_ns_percpu=%.3f\t"
		     "extra_ns_perthread=%.3f", med_ratio[MODE_PCPU],
		     med_ratio[MODE_PT], med_extra[MODE_PCPU],
		     med_extra[MODE_PT]);
}

int
main(int argc, char **argv)
{
	struct bench_opts o = { .runs = 7, .run_ms = RUN_MS,
				.extra_opts = "m", .extra_usage = extra_usage,
				.extra = extra_opt };
	struct record recs[NMODES];
	uint64_t iters[NMODES] = { 0, 0 };
	double med_ratio[NMODES], med_extra[NMODES];

	bench_parse_args(argc, argv, &o, what);
	if (own_topology)
		use_own_topology();
	bench_print_header(what, &o);
	printf("ring of %u slots; placement local\n", RING_SLOTS);
	for (int k = 0; k < NCFGS; k++)
		printf("%-16s producer on CPU %d, consumer on CPU %d, "
		       "LFP_TOPOLOGY=\"%s\"\n", configs[k].name,
		       configs[k].cpu[0], configs[k].cpu[1],
		       configs[k].topology ? configs[k].topology :
		       "(unset: the machine's)");

	if (o.iters) {
		iters[MODE_PCPU] = iters[MODE_PT] = o.iters;
	} else {
		/* Calibrated where frees are cheapest: same node. */
		run_child(CFG_SAME, 0, iters, o.run_ms, recs);
		for (int m = 0; m < NMODES; m++)
			iters[m] = recs[m].iters;
	}

	for (unsigned int r = 0; r < o.runs; r++) {
		int firstcfg = r % 2, firstmode = (r / 2) % 2;
		struct record both[NCFGS][NMODES];

		for (int i = 0; i < NCFGS; i++) {
			int k = (firstcfg + i) % NCFGS;

			run_child(k, firstmode, iters, o.run_ms, both[k]);
			for (int m = 0; m < NMODES; m++)
				add_record(&both[k][m], r);
		}
		for (int m = 0; m < NMODES; m++) {
			double s = cells[CFG_SAME][m].ns[r];
			double d = cells[CFG_DIFF][m].ns[r];

			ratio[m][r] = d / s;
			extra[m][r] = d - s;
		}
	}
	for (int k = 0; k < NCFGS; k++)
		for (int m = 0; m < NMODES; m++)
			cells[k][m].med_ns = bench_median(cells[k][m].ns,
							  o.runs);
	for (int m = 0; m < NMODES; m++) {
		med_ratio[m] = bench_median(ratio[m], o.runs);
		med_extra[m] = bench_median(extra[m], o.runs);
	}

	print_table(&o, iters, med_ratio, med_extra);
	print_notes();
	print_results(&o, iters, med_ratio, med_extra);
	printf("remote/local = %.2f (per-CPU), %.2f (per-thread)\n",
	       med_ratio[MODE_PCPU], med_ratio[MODE_PT]);
	return 0;
}
