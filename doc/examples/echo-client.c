/* SPDX-License-Identifier: MIT */
/*
 * echo-client.c - drives echo-server.c: CLIENTS threads, each connecting
 * to 127.0.0.1:PORT again and again, sending MSGS messages of random sizes
 * (1 byte to 64 KiB, mostly small) per connection and checking that every
 * reply is its message reversed, until SECONDS have passed. Every socket
 * call times out after 5 s. Prints the totals; exits 0 only if every
 * reply was right and at least one message went through.
 *
 *	echo-client -p PORT [-c CLIENTS] [-d SECONDS] [-m MSGS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MSG_MAX (64u << 10)
#define CLIENTS_MAX 64

static unsigned int port, msgs_per_conn = 50;
static struct timespec deadline;
static atomic_uint_fast64_t total_conns, total_msgs, total_bytes, errors;

static int
expired(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Mostly small messages, some of a few KiB, a few up to MSG_MAX. */
static uint32_t
msg_size(uint32_t *s)
{
	uint32_t r = xorshift(s), k = r % 100;

	r = xorshift(s);
	if (k < 70)
		return 1 + r % 512;
	if (k < 95)
		return 1 + r % 8192;
	return 1 + r % MSG_MAX;
}

static int
io_full(int fd, void *p, size_t n, int out)
{
	char *b = p;

	while (n) {
		ssize_t k = out ? send(fd, b, n, MSG_NOSIGNAL) : recv(fd, b, n, 0);

		if (k <= 0)
			return -1;	/* error, timeout (5 s) or end of file */
		b += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
connect_loopback(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	/* SO_SNDTIMEO also bounds connect(). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * One message and its reply; 0 if the reply was right. @msg has room for
 * the header and MSG_MAX bytes, sent in one go.
 */
static int
exchange(int fd, unsigned char *msg, unsigned char *reply, uint32_t *seed)
{
	uint32_t n = msg_size(seed), i;
	unsigned char *body = msg + 4;

	msg[0] = (unsigned char)(n >> 24);
	msg[1] = (unsigned char)(n >> 16);
	msg[2] = (unsigned char)(n >> 8);
	msg[3] = (unsigned char)n;
	for (i = 0; i < n; i++)
		body[i] = (unsigned char)xorshift(seed);
	if (io_full(fd, msg, 4 + n, 1) || io_full(fd, reply, n, 0))
		return -1;
	for (i = 0; i < n; i++)
		if (reply[i] != body[n - 1 - i])
			return -1;
	atomic_fetch_add(&total_bytes, n);
	return 0;
}

static void *
client(void *arg)
{
	uint32_t seed = 2463534242u + 7919u * (uint32_t)(uintptr_t)arg;
	unsigned char *msg = malloc(4 + MSG_MAX), *reply = malloc(MSG_MAX);

	if (!msg || !reply) {
		atomic_fetch_add(&errors, 1);
		goto out;
	}
	while (!expired()) {
		int fd = connect_loopback();

		if (fd < 0) {
			perror("echo-client: connect");
			atomic_fetch_add(&errors, 1);
			break;
		}
		atomic_fetch_add(&total_conns, 1);
		for (unsigned int i = 0; i < msgs_per_conn && !expired(); i++) {
			if (exchange(fd, msg, reply, &seed)) {
				fprintf(stderr, "echo-client: bad reply\n");
				atomic_fetch_add(&errors, 1);
				break;
			}
			atomic_fetch_add(&total_msgs, 1);
		}
		close(fd);
		if (atomic_load(&errors))
			break;
	}
out:
	free(msg);
	free(reply);
	return NULL;
}

int
main(int argc, char **argv)
{
	pthread_t tid[CLIENTS_MAX];
	int nclients = 4, seconds = 2, started, opt;

	while ((opt = getopt(argc, argv, "p:c:d:m:")) != -1) {
		if (opt == 'p')
			port = (unsigned int)atoi(optarg);
		else if (opt == 'c')
			nclients = atoi(optarg);
		else if (opt == 'd')
			seconds = atoi(optarg);
		else if (opt == 'm')
			msgs_per_conn = (unsigned int)atoi(optarg);
		else
			goto usage;
	}
	if (optind != argc || !port || port > 65535 || nclients < 1 ||
	    nclients > CLIENTS_MAX || seconds < 1 || !msgs_per_conn)
		goto usage;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	for (started = 0; started < nclients; started++)
		if (pthread_create(&tid[started], NULL, client,
				   (void *)(uintptr_t)started))
			break;
	if (started < nclients)
		atomic_fetch_add(&errors, 1);
	while (started)
		pthread_join(tid[--started], NULL);

	printf("%llu connections, %llu messages, %llu bytes, %llu errors\n",
	       (unsigned long long)atomic_load(&total_conns),
	       (unsigned long long)atomic_load(&total_msgs),
	       (unsigned long long)atomic_load(&total_bytes),
	       (unsigned long long)atomic_load(&errors));
	return atomic_load(&errors) || !atomic_load(&total_msgs);
usage:
	fprintf(stderr,
		"usage: echo-client -p PORT [-c CLIENTS] [-d SECONDS] [-m MSGS]\n");
	return 2;
}
