# SPDX-License-Identifier: MIT
# bench/local.mk - the benchmarks: built by `make` so they never rot, run by
# `make bench` (the whole suite, under 15 minutes on 2 CPUs) or
# `make bench BENCH_QUICK=1` (under 2), never by `make check`: the peer
# suite (bench_peers.c, built once per peer allocator configure found)
# and the article's programs (BENCH_ARGS goes to those). Each prints a
# table and one tab-separated RESULT line per case; run-suite.sh gathers
# them into CSV files, tables and plots. With DPDK, bench_versus runs
# lfpool against it in one process, their runs alternating. See
# bench/README.md.

bench_ldadd = lib/liblfpool.la $(PTHREAD_LIBS)

# The floor as a shared library (-rpath makes libtool build it shared).
noinst_LTLIBRARIES += %reldir%/libbenchfloor.la
%canon_reldir%_libbenchfloor_la_SOURCES = %reldir%/floor.c
%canon_reldir%_libbenchfloor_la_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_libbenchfloor_la_LDFLAGS = -rpath $(abs_builddir) -avoid-version

noinst_PROGRAMS += %reldir%/bench_fastpath
%canon_reldir%_bench_fastpath_SOURCES = %reldir%/bench_fastpath.c
%canon_reldir%_bench_fastpath_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_fastpath_LDFLAGS = -no-install
%canon_reldir%_bench_fastpath_LDADD = $(bench_ldadd) %reldir%/libbenchfloor.la
bench_programs = %reldir%/bench_fastpath$(EXEEXT)

# The same, with lfpool linked statically: no PLT, local-exec TLS.
noinst_PROGRAMS += %reldir%/bench_fastpath_static
%canon_reldir%_bench_fastpath_static_SOURCES = %reldir%/bench_fastpath.c
%canon_reldir%_bench_fastpath_static_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_fastpath_static_LDFLAGS = -no-install
%canon_reldir%_bench_fastpath_static_LDADD = lib/liblfpool-core.la \
	$(PTHREAD_LIBS) %reldir%/libbenchfloor.la
bench_programs += %reldir%/bench_fastpath_static$(EXEEXT)

# Defines malloc and its family itself, to count every call into malloc.
# Resident memory before and after trim; a byte budget at its edge.
noinst_PROGRAMS += %reldir%/bench_trim
%canon_reldir%_bench_trim_SOURCES = %reldir%/bench_trim.c
%canon_reldir%_bench_trim_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_trim_LDFLAGS = -no-install
%canon_reldir%_bench_trim_LDADD = $(bench_ldadd)
bench_programs += %reldir%/bench_trim$(EXEEXT)

# Memory in caches of 1,000 idle threads, per cache mode.
noinst_PROGRAMS += %reldir%/bench_idle_threads
%canon_reldir%_bench_idle_threads_SOURCES = %reldir%/bench_idle_threads.c
%canon_reldir%_bench_idle_threads_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_idle_threads_LDFLAGS = -no-install
%canon_reldir%_bench_idle_threads_LDADD = $(bench_ldadd)
bench_programs += %reldir%/bench_idle_threads$(EXEEXT)

# Producer/consumer across NUMA nodes (synthetic, or the machine's with -m,
# found in sysfs through tests/common/test-sysnode.h): remote-free cost.
noinst_PROGRAMS += %reldir%/bench_numa
%canon_reldir%_bench_numa_SOURCES = %reldir%/bench_numa.c
%canon_reldir%_bench_numa_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/common
%canon_reldir%_bench_numa_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_numa_LDFLAGS = -no-install
%canon_reldir%_bench_numa_LDADD = $(bench_ldadd)
bench_programs += %reldir%/bench_numa$(EXEEXT)

# What checked mode costs a get+put, and recording sites on top of it.
noinst_PROGRAMS += %reldir%/bench_checked
%canon_reldir%_bench_checked_SOURCES = %reldir%/bench_checked.c
%canon_reldir%_bench_checked_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_checked_LDFLAGS = -no-install
%canon_reldir%_bench_checked_LDADD = $(bench_ldadd)
bench_programs += %reldir%/bench_checked$(EXEEXT)

noinst_PROGRAMS += %reldir%/bench_allocloop
%canon_reldir%_bench_allocloop_SOURCES = %reldir%/bench_allocloop.c
%canon_reldir%_bench_allocloop_CFLAGS = $(AM_CFLAGS)
%canon_reldir%_bench_allocloop_LDFLAGS = -no-install
%canon_reldir%_bench_allocloop_LDADD = $(bench_ldadd)
bench_programs += %reldir%/bench_allocloop$(EXEEXT)

if HAVE_ZLIB
noinst_PROGRAMS += %reldir%/bench_gunzip
%canon_reldir%_bench_gunzip_SOURCES = %reldir%/bench_gunzip.c
%canon_reldir%_bench_gunzip_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
%canon_reldir%_bench_gunzip_LDFLAGS = -no-install
%canon_reldir%_bench_gunzip_LDADD = $(bench_ldadd) $(ZLIB_LIBS)
bench_programs += %reldir%/bench_gunzip$(EXEEXT)
endif

# The peer suite: bench_peers.c built once per peer, with -DPEER_<NAME>
# choosing the peer's adapter (peer.h). Peers configure did not find are
# not built, and the suite says so when it runs.
bench_peer_sources = %reldir%/bench_peers.c %reldir%/bench-common.h \
	%reldir%/peer.h %reldir%/peer-malloc.h %reldir%/peer-lfpool.h \
	%reldir%/peer-dpdk.h %reldir%/peer-loops.h %reldir%/peer-ring.h

noinst_PROGRAMS += %reldir%/bench_peer_glibc
%canon_reldir%_bench_peer_glibc_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_glibc_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_GLIBC
%canon_reldir%_bench_peer_glibc_LDFLAGS = -no-install
%canon_reldir%_bench_peer_glibc_LDADD = $(PTHREAD_LIBS)
bench_peer_programs = %reldir%/bench_peer_glibc$(EXEEXT)

noinst_PROGRAMS += %reldir%/bench_peer_lfpool
%canon_reldir%_bench_peer_lfpool_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_lfpool_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_LFPOOL
%canon_reldir%_bench_peer_lfpool_LDFLAGS = -no-install
%canon_reldir%_bench_peer_lfpool_LDADD = $(bench_ldadd)
bench_peer_programs += %reldir%/bench_peer_lfpool$(EXEEXT)

if HAVE_JEMALLOC
noinst_PROGRAMS += %reldir%/bench_peer_jemalloc
%canon_reldir%_bench_peer_jemalloc_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_jemalloc_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPEER_JEMALLOC $(JEMALLOC_CFLAGS)
%canon_reldir%_bench_peer_jemalloc_LDFLAGS = -no-install
%canon_reldir%_bench_peer_jemalloc_LDADD = $(JEMALLOC_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_jemalloc$(EXEEXT)
endif

if HAVE_TCMALLOC
noinst_PROGRAMS += %reldir%/bench_peer_tcmalloc
%canon_reldir%_bench_peer_tcmalloc_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_tcmalloc_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPEER_TCMALLOC $(TCMALLOC_CFLAGS)
%canon_reldir%_bench_peer_tcmalloc_LDFLAGS = -no-install
%canon_reldir%_bench_peer_tcmalloc_LDADD = $(TCMALLOC_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_tcmalloc$(EXEEXT)
endif

if HAVE_MIMALLOC
noinst_PROGRAMS += %reldir%/bench_peer_mimalloc
%canon_reldir%_bench_peer_mimalloc_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_mimalloc_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_MIMALLOC
%canon_reldir%_bench_peer_mimalloc_LDFLAGS = -no-install
%canon_reldir%_bench_peer_mimalloc_LDADD = $(MIMALLOC_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_mimalloc$(EXEEXT)
endif

if HAVE_TBB
noinst_PROGRAMS += %reldir%/bench_peer_tbb
%canon_reldir%_bench_peer_tbb_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_tbb_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_TBB
%canon_reldir%_bench_peer_tbb_LDFLAGS = -no-install
%canon_reldir%_bench_peer_tbb_LDADD = $(TBBMALLOC_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_tbb$(EXEEXT)
endif

if HAVE_GSLICE
noinst_PROGRAMS += %reldir%/bench_peer_gslice
%canon_reldir%_bench_peer_gslice_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_gslice_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_GSLICE \
	$(GLIB_CFLAGS)
%canon_reldir%_bench_peer_gslice_LDFLAGS = -no-install
%canon_reldir%_bench_peer_gslice_LDADD = $(GLIB_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_gslice$(EXEEXT)
endif

bench_versus_programs =
if HAVE_DPDK
noinst_PROGRAMS += %reldir%/bench_peer_dpdk
%canon_reldir%_bench_peer_dpdk_SOURCES = $(bench_peer_sources)
%canon_reldir%_bench_peer_dpdk_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_DPDK
%canon_reldir%_bench_peer_dpdk_CFLAGS = $(AM_CFLAGS) $(DPDK_CFLAGS)
%canon_reldir%_bench_peer_dpdk_LDFLAGS = -no-install
%canon_reldir%_bench_peer_dpdk_LDADD = $(DPDK_LIBS) $(PTHREAD_LIBS)
bench_peer_programs += %reldir%/bench_peer_dpdk$(EXEEXT)

# bench_versus: lfpool and DPDK in one process, their runs alternating.
# Each contender is versus-peer.c built with one peer's adapter, in an
# archive of its own so that it gets the options a program of that peer
# is built with (as bench_peer_lfpool and bench_peer_dpdk are): DPDK's
# own for DPDK; lfpool's twice, the second with LFP_NO_INLINE, so that
# the exported functions run beside the headers' inline fast path.
bench_versus_peer_sources = %reldir%/versus-peer.c %reldir%/versus.h \
	%reldir%/bench-common.h %reldir%/peer.h %reldir%/peer-lfpool.h \
	%reldir%/peer-dpdk.h %reldir%/peer-loops.h %reldir%/peer-ring.h
noinst_LIBRARIES += %reldir%/libversus_lfpool.a \
	%reldir%/libversus_lfpool_noinline.a %reldir%/libversus_dpdk.a
%canon_reldir%_libversus_lfpool_a_SOURCES = $(bench_versus_peer_sources)
%canon_reldir%_libversus_lfpool_a_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_LFPOOL \
	-DVERSUS_PEER=versus_lfpool
%canon_reldir%_libversus_lfpool_noinline_a_SOURCES = \
	$(bench_versus_peer_sources)
%canon_reldir%_libversus_lfpool_noinline_a_CPPFLAGS = $(AM_CPPFLAGS) \
	-DPEER_LFPOOL -DLFP_NO_INLINE -DVERSUS_PEER=versus_lfpool_noinline
%canon_reldir%_libversus_dpdk_a_SOURCES = $(bench_versus_peer_sources)
%canon_reldir%_libversus_dpdk_a_CPPFLAGS = $(AM_CPPFLAGS) -DPEER_DPDK \
	-DVERSUS_PEER=versus_dpdk
%canon_reldir%_libversus_dpdk_a_CFLAGS = $(AM_CFLAGS) $(DPDK_CFLAGS)

noinst_PROGRAMS += %reldir%/bench_versus
%canon_reldir%_bench_versus_SOURCES = %reldir%/bench_versus.c \
	%reldir%/versus.h %reldir%/bench-common.h %reldir%/peer-ring.h
%canon_reldir%_bench_versus_LDFLAGS = -no-install
%canon_reldir%_bench_versus_LDADD = %reldir%/libversus_lfpool.a \
	%reldir%/libversus_lfpool_noinline.a %reldir%/libversus_dpdk.a \
	$(bench_ldadd) $(DPDK_LIBS) -lm
bench_versus_programs += %reldir%/bench_versus$(EXEEXT)
endif

EXTRA_DIST += %reldir%/README.md %reldir%/run-suite.sh %reldir%/demo.sh

# The quick-start demo (README.md): the article's two benchmarks, run
# briefly by their programs, in one table beside the article's figures.
.PHONY: demo
demo: $(bench_programs)
	@$(SHELL) $(srcdir)/%reldir%/demo.sh %reldir%

# A `bench` target would collide with the bench/ folder without .PHONY.
# The suite script runs every program above, each peer in a process per
# workload, bench_versus when built, and writes bench/results/<time>/
# (see bench/README.md).
.PHONY: bench
bench: $(bench_programs) $(bench_peer_programs) $(bench_versus_programs)
	@BENCH_QUICK='$(BENCH_QUICK)' BENCH_ARGS='$(BENCH_ARGS)' \
	BENCH_PROGRAMS='$(bench_programs)' GNUPLOT='$(GNUPLOT)' CC='$(CC)' \
	$(SHELL) $(srcdir)/%reldir%/run-suite.sh
