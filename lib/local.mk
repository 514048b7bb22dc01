# SPDX-License-Identifier: MIT
# The library: everything is built once into a convenience library that
# the unit tests link (internals reachable), and wrapped into liblfpool,
# which exports only the LFP_API symbols (hidden visibility elsewhere).
# Sources in layer order, from the bottom up (doc/design.md, "Layers").

noinst_LTLIBRARIES += %reldir%/liblfpool-core.la
%canon_reldir%_liblfpool_core_la_SOURCES = $(lfp_core_sources)
# The library's sources; `make fuzz` (tests/local.mk) compiles the same.
lfp_core_sources = \
	%reldir%/internal.h \
	%reldir%/probe.h \
	%reldir%/atomic.h \
	%reldir%/os.c \
	%reldir%/stack.h %reldir%/stack.c \
	%reldir%/magazine.h \
	%reldir%/depot.h %reldir%/depot.c \
	%reldir%/chunkmap.h %reldir%/chunkmap.c \
	%reldir%/topo.h %reldir%/topo.c \
	%reldir%/numa.h %reldir%/numa.c \
	%reldir%/slab.h %reldir%/slab.c \
	%reldir%/arch/x86_64/rseq.h %reldir%/arch/aarch64/rseq.h \
	%reldir%/pcpu.h %reldir%/pcpu.c \
	%reldir%/cache.h %reldir%/cache.c \
	%reldir%/registry.h %reldir%/registry.c \
	%reldir%/zone.h %reldir%/zone.c \
	%reldir%/tcache.h %reldir%/tcache.c \
	%reldir%/debug.h %reldir%/debug.c \
	%reldir%/rcu.c \
	%reldir%/trim.c \
	%reldir%/reserve.c \
	%reldir%/fork.h %reldir%/fork.c \
	%reldir%/pool.h %reldir%/pool.c \
	%reldir%/objpool.c \
	%reldir%/bufpool.c \
	%reldir%/statsenv.h %reldir%/stats.c \
	%reldir%/version.c
%canon_reldir%_liblfpool_core_la_CFLAGS = $(AM_CFLAGS) $(VISIBILITY_CFLAGS) \
	$(URCU_CFLAGS) $(HWLOC_CFLAGS)
%canon_reldir%_liblfpool_core_la_LIBADD = $(URCU_LIBS) $(HWLOC_LIBS) $(PTHREAD_LIBS)

lib_LTLIBRARIES += %reldir%/liblfpool.la
%canon_reldir%_liblfpool_la_SOURCES =
%canon_reldir%_liblfpool_la_LIBADD = %reldir%/liblfpool-core.la
%canon_reldir%_liblfpool_la_LDFLAGS = -version-info $(LFP_LT_VERSION) -no-undefined \
	-Wl,--version-script=$(srcdir)/%reldir%/liblfpool.sym
EXTRA_%canon_reldir%_liblfpool_la_DEPENDENCIES = %reldir%/liblfpool.sym
EXTRA_DIST += %reldir%/liblfpool.sym
