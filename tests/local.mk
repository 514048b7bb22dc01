# SPDX-License-Identifier: MIT
# Tests in three tiers (unit: white box; api: black box; stress: threads),
# all Check programs reported one line per test through the TAP driver.

LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
# The API and stress tests see the installed headers and tests/common/
# alone: black box by construction. The unit tests see lib/ too.
api_cppflags = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/common
unit_cppflags = $(api_cppflags) -I$(top_srcdir)/lib
test_cflags = $(AM_CFLAGS) $(CHECK_CFLAGS)
test_ldflags = -no-install
unit_ldadd = lib/liblfpool-core.la $(CHECK_LIBS) $(PTHREAD_LIBS)
api_ldadd = lib/liblfpool.la $(CHECK_LIBS) $(PTHREAD_LIBS)

EXTRA_DIST += %reldir%/common/test-common.h %reldir%/common/test-child.h %reldir%/common/test-counts.h \
	%reldir%/common/test-sysnode.h %reldir%/common/test-capture.h \
	%reldir%/common/test-api.h \
	%reldir%/common/stress-common.h

unit_tests = \
	%reldir%/unit/test_stack \
	%reldir%/unit/test_magazine \
	%reldir%/unit/test_slab \
	%reldir%/unit/test_trim \
	%reldir%/unit/test_rcu \
	%reldir%/unit/test_fault \
	%reldir%/unit/test_reserve \
	%reldir%/unit/test_topo \
	%reldir%/unit/test_topo_real \
	%reldir%/unit/test_numa \
	%reldir%/unit/test_numa_real \
	%reldir%/unit/test_chunkmap \
	%reldir%/unit/test_registry
api_tests = \
	%reldir%/api/test_objpool \
	%reldir%/api/test_bufpool \
	%reldir%/api/test_check \
	%reldir%/api/test_thread \
	%reldir%/api/test_pcpu \
	%reldir%/api/test_inline \
	%reldir%/api/test_inline_noinline \
	%reldir%/api/test_stats \
	%reldir%/api/test_stats_all \
	%reldir%/api/test_leaks \
	%reldir%/api/test_budget \
	%reldir%/api/test_reentry \
	%reldir%/api/test_exhaust \
	%reldir%/api/test_dlopen \
	%reldir%/api/test_build \
	%reldir%/api/test_api
stress_tests = \
	%reldir%/stress/stress_objpool \
	%reldir%/stress/stress_bufpool \
	%reldir%/stress/stress_pcpu \
	%reldir%/stress/stress_rcu

check_PROGRAMS += $(unit_tests) $(api_tests) $(stress_tests) \
	%reldir%/api/uaf_put %reldir%/api/probe_work
# The migration stress test again, with rseq disabled (per-thread fallback).
stress_scripts = %reldir%/stress/stress-pcpu-norseq.sh
# The include graph of lib/ against its layers (doc/design.md).
TESTS += $(unit_tests) $(api_tests) $(stress_tests) \
	%reldir%/unit/test-layers.sh \
	%reldir%/api/test-exports.sh %reldir%/api/test-sanitize.sh \
	%reldir%/api/test-probes.sh %reldir%/api/test-bpftrace.sh \
	$(stress_scripts)
dist_check_SCRIPTS += %reldir%/unit/test-layers.sh \
	%reldir%/api/test-exports.sh %reldir%/api/test-sanitize.sh \
	%reldir%/api/test-probes.sh %reldir%/api/test-bpftrace.sh \
	$(stress_scripts) %reldir%/common/api-names.sh

# Not a test itself: the program test-sanitize.sh runs (a bug on purpose).
%canon_reldir%_api_uaf_put_SOURCES = %reldir%/api/uaf_put.c
%canon_reldir%_api_uaf_put_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_uaf_put_LDADD = lib/liblfpool.la
# Nor this: the workload test-bpftrace.sh traces.
%canon_reldir%_api_probe_work_SOURCES = %reldir%/api/probe_work.c
%canon_reldir%_api_probe_work_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_probe_work_LDADD = lib/liblfpool.la $(PTHREAD_LIBS)

%canon_reldir%_unit_test_stack_SOURCES = %reldir%/unit/test_stack.c
%canon_reldir%_unit_test_stack_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_stack_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_stack_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_stack_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_magazine_SOURCES = %reldir%/unit/test_magazine.c
%canon_reldir%_unit_test_magazine_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_magazine_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_magazine_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_magazine_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_slab_SOURCES = %reldir%/unit/test_slab.c
%canon_reldir%_unit_test_slab_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_slab_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_slab_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_slab_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_trim_SOURCES = %reldir%/unit/test_trim.c
%canon_reldir%_unit_test_trim_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_trim_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_trim_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_trim_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_rcu_SOURCES = %reldir%/unit/test_rcu.c
%canon_reldir%_unit_test_rcu_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_rcu_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_rcu_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_rcu_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_fault_SOURCES = %reldir%/unit/test_fault.c
%canon_reldir%_unit_test_fault_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_fault_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_fault_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_fault_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_reserve_SOURCES = %reldir%/unit/test_reserve.c
%canon_reldir%_unit_test_reserve_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_reserve_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_reserve_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_reserve_LDADD = $(unit_ldadd)

# The topology module: synthetic, XML and real topologies. test_topo
# includes <hwloc.h> only to write an XML file; test_topo_real needs two
# real NUMA nodes and skips elsewhere.
%canon_reldir%_unit_test_topo_SOURCES = %reldir%/unit/test_topo.c
%canon_reldir%_unit_test_topo_CPPFLAGS = $(unit_cppflags) $(HWLOC_CFLAGS)
%canon_reldir%_unit_test_topo_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_topo_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_topo_LDADD = $(unit_ldadd) $(HWLOC_LIBS)

%canon_reldir%_unit_test_topo_real_SOURCES = %reldir%/unit/test_topo_real.c
%canon_reldir%_unit_test_topo_real_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_topo_real_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_topo_real_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_topo_real_LDADD = $(unit_ldadd)

# NUMA placement on the engine (lib/numa.c), with synthetic topologies
# and the current-CPU hook; each test in a child of its own.
%canon_reldir%_unit_test_numa_SOURCES = %reldir%/unit/test_numa.c
%canon_reldir%_unit_test_numa_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_numa_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_numa_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_numa_LDADD = $(unit_ldadd)

# Where NUMA-placed memory really is (move_pages(2) queries): needs two
# real nodes with memory (make check-vm boots them) and skips elsewhere.
%canon_reldir%_unit_test_numa_real_SOURCES = %reldir%/unit/test_numa_real.c
%canon_reldir%_unit_test_numa_real_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_numa_real_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_numa_real_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_numa_real_LDADD = $(unit_ldadd)

# The lower layers alone: the chunk map and the registry of zones.
%canon_reldir%_unit_test_chunkmap_SOURCES = %reldir%/unit/test_chunkmap.c
%canon_reldir%_unit_test_chunkmap_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_chunkmap_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_chunkmap_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_chunkmap_LDADD = $(unit_ldadd)

%canon_reldir%_unit_test_registry_SOURCES = %reldir%/unit/test_registry.c
%canon_reldir%_unit_test_registry_CPPFLAGS = $(unit_cppflags)
%canon_reldir%_unit_test_registry_CFLAGS = $(test_cflags)
%canon_reldir%_unit_test_registry_LDFLAGS = $(test_ldflags)
%canon_reldir%_unit_test_registry_LDADD = $(unit_ldadd)

%canon_reldir%_api_test_objpool_SOURCES = %reldir%/api/test_objpool.c
%canon_reldir%_api_test_objpool_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_objpool_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_objpool_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_objpool_LDADD = $(api_ldadd)

%canon_reldir%_api_test_api_SOURCES = %reldir%/api/test_api.c
%canon_reldir%_api_test_api_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_api_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_api_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_api_LDADD = $(api_ldadd)

%canon_reldir%_api_test_bufpool_SOURCES = %reldir%/api/test_bufpool.c
%canon_reldir%_api_test_bufpool_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_bufpool_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_bufpool_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_bufpool_LDADD = $(api_ldadd)

%canon_reldir%_stress_stress_bufpool_SOURCES = %reldir%/stress/stress_bufpool.c
%canon_reldir%_stress_stress_bufpool_CPPFLAGS = $(api_cppflags)
%canon_reldir%_stress_stress_bufpool_CFLAGS = $(test_cflags)
%canon_reldir%_stress_stress_bufpool_LDFLAGS = $(test_ldflags)
%canon_reldir%_stress_stress_bufpool_LDADD = $(api_ldadd)

%canon_reldir%_api_test_budget_SOURCES = %reldir%/api/test_budget.c
%canon_reldir%_api_test_budget_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_budget_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_budget_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_budget_LDADD = $(api_ldadd)

# With the address space full (RLIMIT_AS): nothing may abort.
%canon_reldir%_api_test_exhaust_SOURCES = %reldir%/api/test_exhaust.c
%canon_reldir%_api_test_exhaust_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_exhaust_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_exhaust_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_exhaust_LDADD = $(api_ldadd)

# lfpool loaded by dlopen(), with a plugin (a libtool module built for
# make check only), into a program not linked with it.
check_LTLIBRARIES = %reldir%/api/dlmod.la
%canon_reldir%_api_dlmod_la_SOURCES = %reldir%/api/dlmod.c
%canon_reldir%_api_dlmod_la_LDFLAGS = -module -avoid-version -shared \
	-rpath $(abs_builddir)/%reldir%/api
%canon_reldir%_api_dlmod_la_LIBADD = lib/liblfpool.la
%canon_reldir%_api_test_dlopen_SOURCES = %reldir%/api/test_dlopen.c
%canon_reldir%_api_test_dlopen_CPPFLAGS = $(api_cppflags) \
	-DLFP_DLMOD_PATH='"$(abs_builddir)/%reldir%/api/.libs/dlmod.so"'
%canon_reldir%_api_test_dlopen_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_dlopen_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_dlopen_LDADD = $(CHECK_LIBS) $(PTHREAD_LIBS) -ldl
%canon_reldir%_api_test_dlopen_DEPENDENCIES = %reldir%/api/dlmod.la

%canon_reldir%_api_test_stats_SOURCES = %reldir%/api/test_stats.c
%canon_reldir%_api_test_stats_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_stats_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_stats_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_stats_LDADD = $(api_ldadd)

# Runs itself again as the program whose pools LFP_STATS prints at exit.
%canon_reldir%_api_test_stats_all_SOURCES = %reldir%/api/test_stats_all.c
%canon_reldir%_api_test_stats_all_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_stats_all_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_stats_all_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_stats_all_LDADD = $(api_ldadd)

# Exports its functions (-export-dynamic), so that dladdr() names the
# sites of the leak reports.
%canon_reldir%_api_test_leaks_SOURCES = %reldir%/api/test_leaks.c
%canon_reldir%_api_test_leaks_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_leaks_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_leaks_LDFLAGS = $(test_ldflags) -export-dynamic
%canon_reldir%_api_test_leaks_LDADD = $(api_ldadd)

%canon_reldir%_api_test_check_SOURCES = %reldir%/api/test_check.c
%canon_reldir%_api_test_check_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_check_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_check_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_check_LDADD = $(api_ldadd)

%canon_reldir%_api_test_thread_SOURCES = %reldir%/api/test_thread.c
%canon_reldir%_api_test_thread_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_thread_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_thread_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_thread_LDADD = $(api_ldadd)

# Constructors and signal handlers that call into the library.
%canon_reldir%_api_test_reentry_SOURCES = %reldir%/api/test_reentry.c
%canon_reldir%_api_test_reentry_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_reentry_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_reentry_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_reentry_LDADD = $(api_ldadd)

# The inline fast path, and the same test with LFP_NO_INLINE; --wrap
# counts the calls that reach the exported functions.
inline_wrap = -Wl,--wrap=lfp_objpool_get,--wrap=lfp_objpool_put \
	-Wl,--wrap=lfp_objpool_get_bulk,--wrap=lfp_objpool_put_bulk \
	-Wl,--wrap=lfp_bufpool_alloc
%canon_reldir%_api_test_inline_SOURCES = %reldir%/api/test_inline.c
%canon_reldir%_api_test_inline_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_inline_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_inline_LDFLAGS = $(test_ldflags) $(inline_wrap)
%canon_reldir%_api_test_inline_LDADD = $(api_ldadd)
%canon_reldir%_api_test_inline_noinline_SOURCES = %reldir%/api/test_inline.c
%canon_reldir%_api_test_inline_noinline_CPPFLAGS = $(api_cppflags) \
	-DLFP_NO_INLINE
%canon_reldir%_api_test_inline_noinline_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_inline_noinline_LDFLAGS = $(test_ldflags) \
	$(inline_wrap)
%canon_reldir%_api_test_inline_noinline_LDADD = $(api_ldadd)

%canon_reldir%_api_test_pcpu_SOURCES = %reldir%/api/test_pcpu.c
%canon_reldir%_api_test_pcpu_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_pcpu_CFLAGS = $(test_cflags)
%canon_reldir%_api_test_pcpu_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_pcpu_LDADD = $(api_ldadd)

# The public headers compile alone, as C11 and as C++.
%canon_reldir%_api_test_build_SOURCES = %reldir%/api/test_build.c \
	%reldir%/api/test_build_common.c %reldir%/api/test_build_version.c \
	%reldir%/api/test_build_thread.c %reldir%/api/test_build_bufpool.c \
	%reldir%/api/test_build_check.c %reldir%/api/test_build_stats.c \
	%reldir%/api/test_build_cxx.cc
%canon_reldir%_api_test_build_CPPFLAGS = $(api_cppflags)
%canon_reldir%_api_test_build_CFLAGS = $(test_cflags) -std=c11 -pedantic-errors
%canon_reldir%_api_test_build_CXXFLAGS = $(CHECK_CFLAGS) -Wall -Wextra -pedantic-errors
%canon_reldir%_api_test_build_LDFLAGS = $(test_ldflags)
%canon_reldir%_api_test_build_LDADD = $(api_ldadd)

%canon_reldir%_stress_stress_rcu_SOURCES = %reldir%/stress/stress_rcu.c
%canon_reldir%_stress_stress_rcu_CPPFLAGS = $(api_cppflags) $(URCU_CFLAGS)
%canon_reldir%_stress_stress_rcu_CFLAGS = $(test_cflags)
%canon_reldir%_stress_stress_rcu_LDFLAGS = $(test_ldflags)
%canon_reldir%_stress_stress_rcu_LDADD = $(api_ldadd) $(URCU_LIBS)

%canon_reldir%_stress_stress_pcpu_SOURCES = %reldir%/stress/stress_pcpu.c
%canon_reldir%_stress_stress_pcpu_CPPFLAGS = $(api_cppflags)
%canon_reldir%_stress_stress_pcpu_CFLAGS = $(test_cflags)
%canon_reldir%_stress_stress_pcpu_LDFLAGS = $(test_ldflags)
%canon_reldir%_stress_stress_pcpu_LDADD = $(api_ldadd)

%canon_reldir%_stress_stress_objpool_SOURCES = %reldir%/stress/stress_objpool.c
%canon_reldir%_stress_stress_objpool_CPPFLAGS = $(api_cppflags)
%canon_reldir%_stress_stress_objpool_CFLAGS = $(test_cflags)
%canon_reldir%_stress_stress_objpool_LDFLAGS = $(test_ldflags)
%canon_reldir%_stress_stress_objpool_LDADD = $(api_ldadd)

# The API tests under valgrind memcheck, and the reserve's test (its
# paths under injected faults): any error fails the test.
VALGRIND_FLAGS = --error-exitcode=1 --errors-for-leak-kinds=definite \
	--child-silent-after-fork=yes \
	--leak-check=full --suppressions=$(abs_top_srcdir)/tests/valgrind.supp
check-valgrind:
	CK_FORK=no $(MAKE) $(AM_MAKEFLAGS) check \
		TESTS="$(api_tests) %reldir%/unit/test_reserve" \
		LOG_COMPILER="valgrind $(VALGRIND_FLAGS)" TEST_TIMEOUT=900
.PHONY: check-valgrind
EXTRA_DIST += %reldir%/valgrind.supp %reldir%/tsan.supp

# libFuzzer over random programs of pool operations (needs clang and its
# runtime: apt-get install clang libclang-rt-14-dev). make fuzz FUZZ_SECONDS=N
# The fuzzer compiles the library's own sources, lfp_core_sources (lib/local.mk).
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined
fuzz:
	@mkdir -p tests/fuzz/corpus-run
	srcs=; for f in $(lfp_core_sources); do \
	  case $$f in *.c) srcs="$$srcs $(top_srcdir)/$$f" ;; esac; \
	done; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I$(top_builddir) -I$(top_builddir)/include \
		-I$(top_srcdir)/include -I$(top_srcdir)/lib $(URCU_CFLAGS) \
		$(HWLOC_CFLAGS) $$srcs $(top_srcdir)/tests/fuzz/fuzz_pools.c \
		$(URCU_LIBS) $(HWLOC_LIBS) $(PTHREAD_LIBS) -o tests/fuzz/fuzz_pools
	cp $(top_srcdir)/tests/fuzz/corpus/* tests/fuzz/corpus-run/
	tests/fuzz/fuzz_pools -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 tests/fuzz/corpus-run
.PHONY: fuzz
EXTRA_DIST += %reldir%/fuzz/fuzz_pools.c %reldir%/fuzz/corpus
CLEANFILES += tests/fuzz/fuzz_pools
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/corpus-run
.PHONY: clean-fuzz

# Longer stress runs: make regtest (LFP_STRESS_SCALE=20 by default).
REGTEST_SCALE = 20
regtest:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS="$(stress_tests) $(stress_scripts)" \
		LFP_STRESS_SCALE=$(REGTEST_SCALE)
.PHONY: regtest
