# SPDX-License-Identifier: MIT
# bench/local.mk - the benchmarks: built by `make` so they never rot, run by
# `make bench` (short) or `make bench BENCH_ARGS='-r 15 -d 200'`, never by
# `make check`. Each prints a table and one tab-separated RESULT line per
# case; see bench/README.md.

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

EXTRA_DIST += %reldir%/bench-common.h %reldir%/README.md

# A `bench` target would collide with the bench/ folder without .PHONY.
.PHONY: bench
bench: $(bench_programs)
	@for p in $(bench_programs); do \
		echo "==== $$p $(BENCH_ARGS)"; \
		./$$p $(BENCH_ARGS) || exit 1; \
		echo; \
	done
