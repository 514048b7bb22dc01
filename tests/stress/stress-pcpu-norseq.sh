#!/bin/sh
# SPDX-License-Identifier: MIT
# stress-pcpu-norseq.sh - the migration stress test (stress_pcpu) in the
# forced fallback: glibc's rseq registration disabled by its tunable, so
# that per-CPU caches cannot run. LFP_TEST_EXPECT_MODE=perthread makes
# the program check that every pool, automatic or asking for per-CPU
# caches, falls back to per-thread caches; the test then runs as usual.
# Prints the program's TAP (run it from make check, or with top_builddir
# set to the build tree).
prog=${top_builddir:-.}/tests/stress/stress_pcpu
if [ ! -x "$prog" ]; then
	echo "1..0 # SKIP $prog is not built"
	exit 0
fi
GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}glibc.pthread.rseq=0"
LFP_TEST_EXPECT_MODE=perthread
export GLIBC_TUNABLES LFP_TEST_EXPECT_MODE
exec "$prog"
