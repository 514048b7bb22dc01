/* SPDX-License-Identifier: MIT */
/*
 * echo-server.c - a small multithreaded TCP server on lfpool. It listens on
 * 127.0.0.1 at a port the kernel picks, prints "port N" on stdout, and
 * serves until SIGTERM or SIGINT: then it prints its pools' statistics
 * and exits 0. Each worker thread accepts connections; a connection's
 * state comes from an object pool, and the buffer each message is read
 * into comes from a buffer pool, sized to the message.
 *
 * Protocol: the client sends messages of a 4-byte big-endian length n
 * (1 to MSG_MAX) and n bytes; the server answers each with the same n
 * bytes in reverse order. echo-client.c is the other side.
 *
 *	echo-server [-t THREADS] [-T SECONDS]
 *
 * -T bounds the server's life (default 60 s): a test that dies leaves no
 * server behind. The exit status is then 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <lfpool.h>

#define MSG_MAX (64u << 10)
#define THREADS_MAX 64
#define IDLE_MS 10000		/* a silent client is dropped after this */

/* A connection's state: built once by the constructor, reused. */
struct conn {
	int fd;
	uint64_t msgs;		/* messages answered on this connection */
	uint64_t uses;		/* connections this object has served */
};

static struct lfp_objpool *conns;
static struct lfp_bufpool *bufs;
static int listen_fd = -1;
static atomic_bool stopping;
static atomic_uint_fast64_t total_conns, total_msgs;

static int
conn_ctor(void *obj, void *arg)
{
	struct conn *c = obj;

	c->fd = -1;
	c->msgs = 0;
	c->uses = 0;
	return 0;
}

/*
 * Move exactly @n bytes through @fd (read or write), waiting at most
 * IDLE_MS for each step and giving up early when the server stops.
 * @return 0, or -1 on error, end of file, timeout or stop.
 */
static int
io_full(int fd, void *p, size_t n, int out)
{
	char *b = p;
	int idle = 0;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = out ? POLLOUT : POLLIN };
		ssize_t k;
		int rc;

		if (atomic_load(&stopping) || idle >= IDLE_MS)
			return -1;
		rc = poll(&pfd, 1, 100);
		if (rc < 0 && errno != EINTR)
			return -1;
		if (rc <= 0) {
			idle += 100;
			continue;
		}
		k = out ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0)
			return -1;
		b += k;
		n -= (size_t)k;
		idle = 0;
	}
	return 0;
}

/* Answer messages on @c until the client closes the connection. */
static void
serve(struct conn *c)
{
	unsigned char hdr[4];

	c->msgs = 0;
	c->uses++;
	while (io_full(c->fd, hdr, sizeof(hdr), 0) == 0) {
		uint32_t n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
			     (uint32_t)hdr[2] << 8 | hdr[3];
		unsigned char *buf, t;
		int ok, rc;

		if (n == 0 || n > MSG_MAX)
			break;
		buf = lfp_bufpool_alloc(bufs, n);
		if (!buf)
			break;
		ok = io_full(c->fd, buf, n, 0) == 0;
		for (uint32_t i = 0; ok && i < n / 2; i++) {
			t = buf[i];
			buf[i] = buf[n - 1 - i];
			buf[n - 1 - i] = t;
		}
		ok = ok && io_full(c->fd, buf, n, 1) == 0;
		rc = lfp_bufpool_free(bufs, buf);
		if (rc) {       /* not a buffer of the pool: a bug here */
			fprintf(stderr, "echo-server: lfp_bufpool_free: %s\n",
				strerror(-rc));
			abort();
		}
		if (!ok)
			break;
		c->msgs++;
	}
	atomic_fetch_add(&total_msgs, c->msgs);
	atomic_fetch_add(&total_conns, 1);
}

static void *
worker(void *arg)
{
	int one = 1, rc;

	while (!atomic_load(&stopping)) {
		struct pollfd pfd = { .fd = listen_fd, .events = POLLIN };
		struct conn *c;
		int fd;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		/* Non-blocking: another worker may have taken it first. */
		fd = accept(listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		c = lfp_objpool_get(conns);
		if (!c) {
			perror("echo-server: lfp_objpool_get");
			close(fd);
			continue;
		}
		/* Replies go out at once, not after the client's next ACK. */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		c->fd = fd;
		serve(c);
		close(c->fd);
		c->fd = -1;
		rc = lfp_objpool_put(conns, c);
		if (rc) {       /* not an object of the pool: a bug here */
			fprintf(stderr, "echo-server: lfp_objpool_put: %s\n",
				strerror(-rc));
			abort();
		}
	}
	return NULL;
}

static double
ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0.0;
}

static void
print_stats(void)
{
	struct lfp_objpool_stats os;
	struct lfp_bufpool_stats bs;

	lfp_objpool_stats(conns, &os);
	lfp_bufpool_stats(bufs, &bs);
	printf("served %llu connections, %llu messages\n",
	       (unsigned long long)atomic_load(&total_conns),
	       (unsigned long long)atomic_load(&total_msgs));
	printf("pool %s: %llu gets, %llu hits, hit rate %.3f, %llu objects\n",
	       os.name, (unsigned long long)os.gets,
	       (unsigned long long)os.hits, ratio(os.hits, os.gets),
	       (unsigned long long)os.objects);
	printf("pool %s: %llu allocs, %llu hits, hit rate %.3f, "
	       "%llu KiB reserved\n", bs.name, (unsigned long long)bs.allocs,
	       (unsigned long long)bs.hits, ratio(bs.hits, bs.allocs),
	       (unsigned long long)(bs.bytes_reserved >> 10));
}

static int
make_pools(void)
{
	struct lfp_objpool_attr oa;
	struct lfp_bufpool_attr ba;

	lfp_objpool_attr_init(&oa);
	oa.size = sizeof(struct conn);
	oa.ctor = conn_ctor;
	oa.name = "conns";
	conns = lfp_objpool_create(&oa);
	if (!conns)
		return -1;
	lfp_bufpool_attr_init(&ba);
	ba.max_size = MSG_MAX;
	ba.name = "bufs";
	bufs = lfp_bufpool_create(&ba);
	return bufs ? 0 : -1;
}

static int
listen_loopback(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;		/* any free port */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(fd, 128) ||
	    fcntl(fd, F_SETFL, O_NONBLOCK) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		close(fd);
		return -1;
	}
	printf("port %u\n", ntohs(sa.sin_port));
	fflush(stdout);
	return fd;
}

int
main(int argc, char **argv)
{
	pthread_t tid[THREADS_MAX];
	struct timespec life = { .tv_sec = 60 };
	int nthreads = 4, started = 0, status = 0, opt, sig;
	sigset_t set;

	while ((opt = getopt(argc, argv, "t:T:")) != -1) {
		if (opt == 't')
			nthreads = atoi(optarg);
		else if (opt == 'T')
			life.tv_sec = atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc || nthreads < 1 || nthreads > THREADS_MAX ||
	    life.tv_sec < 1)
		goto usage;

	/* Only the main thread takes the stop signals, in sigtimedwait(). */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (make_pools()) {
		perror("echo-server: pools");
		return 1;
	}
	listen_fd = listen_loopback();
	if (listen_fd < 0) {
		perror("echo-server: listen");
		return 1;
	}
	for (; started < nthreads; started++)
		if (pthread_create(&tid[started], NULL, worker, NULL))
			break;
	if (started == nthreads) {
		do
			sig = sigtimedwait(&set, NULL, &life);
		while (sig < 0 && errno == EINTR);
		if (sig < 0) {
			fprintf(stderr, "echo-server: no stop signal in %ld s\n",
				(long)life.tv_sec);
			status = 1;
		}
	} else {
		fprintf(stderr, "echo-server: cannot start threads\n");
		status = 1;
	}
	atomic_store(&stopping, true);
	while (started)
		pthread_join(tid[--started], NULL);
	close(listen_fd);

	print_stats();
	lfp_objpool_destroy(conns);
	lfp_bufpool_destroy(bufs);
	return status;
usage:
	fprintf(stderr, "usage: echo-server [-t THREADS] [-T SECONDS]\n");
	return 2;
}
