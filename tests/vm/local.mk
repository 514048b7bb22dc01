# SPDX-License-Identifier: MIT
# make check-vm: tests in virtual machines (QEMU, TCG) booted with Debian's
# kernel, for what this machine does not have: real NUMA nodes, more CPUs.
# Never part of make check. Each LAYOUT.vm is one test of the automake TAP
# harness, run by vm-test.sh through vm-run.sh (see their headers); the
# results go to test-suite-vm.log. The layouts run one at a time (each VM
# has several CPUs of its own). Needs qemu-system-x86 (qemu-system-arm for
# arm64), busybox-static, and apt-get access to the Debian archive for the
# kernel, kept in tests/vm/cache/ (VM_CACHE). A missing piece skips, unless
# LFP_VM_REQUIRED=1 (CI) makes it a failure. README.md "Virtual machines".

TEST_EXTENSIONS = $(EXEEXT) .test .vm
VM_LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
VM_LOG_COMPILER = env LFP_VM_TAP=1 LFP_VM_CACHE='$(VM_CACHE)' \
	$(SHELL) $(top_srcdir)/%reldir%/vm-test.sh
VM_CACHE = $(abs_top_builddir)/%reldir%/cache

# The layouts per architecture of the build (configure's host_cpu).
vm_tests_x86_64 = %reldir%/numa-2x2.vm %reldir%/numa-4x1.vm \
	%reldir%/numa-sparse.vm %reldir%/cpus-4.vm
# Longer layouts, not in the default run (about 3 minutes more):
# make check-vm VM_TESTS='$(vm_tests_x86_64_long)'
vm_tests_x86_64_long = %reldir%/cpus-8.vm
# arm64: its layouts go here (a build configured for aarch64 runs them).
vm_tests_aarch64 =
# And from a build for any machine: the suite cross-built for aarch64 and
# run in an arm64 VM with per-CPU caches (arm64.test, arm64.vm), when the
# cross compiler, the arm64 libraries and qemu-system-arm are installed.
# It runs the per-CPU and conservation tests (LFP_VM_ARM64_SUITE=pcpu, the
# default, about 8 minutes); LFP_VM_ARM64_SUITE=all, the whole suite (25).
vm_tests_arm64 = %reldir%/arm64.test
TEST_LOG_DRIVER = $(VM_LOG_DRIVER)
TEST_LOG_COMPILER = env LFP_VM_TAP=1 LFP_VM_CACHE='$(VM_CACHE)' $(SHELL)
VM_TESTS = $(vm_tests_@host_cpu@) $(vm_tests_arm64)

# What the layouts run in the VM (built first).
vm_programs = tests/unit/test_topo_real$(EXEEXT) \
	tests/unit/test_numa$(EXEEXT) tests/unit/test_numa_real$(EXEEXT) \
	tests/stress/stress_pcpu$(EXEEXT) tests/stress/stress_objpool$(EXEEXT) \
	tests/stress/stress_bufpool$(EXEEXT) bench/bench_numa$(EXEEXT)

# automake's check-TESTS wants every check program: built here with the
# caller's -j, then the VMs one at a time.
check-vm: $(vm_programs) $(check_PROGRAMS) $(check_LTLIBRARIES)
	$(MAKE) $(AM_MAKEFLAGS) -j1 check-TESTS TESTS='$(VM_TESTS)' \
		TEST_SUITE_LOG=test-suite-vm.log
.PHONY: check-vm

EXTRA_DIST += %reldir%/vm-run.sh %reldir%/vm-test.sh $(vm_tests_x86_64) \
	$(vm_tests_x86_64_long) $(vm_tests_aarch64) $(vm_tests_arm64) \
	%reldir%/arm64.vm
CLEANFILES += test-suite-vm.log %reldir%/*.log %reldir%/*.trs
distclean-local: clean-vm
clean-vm:
	rm -rf %reldir%/cache %reldir%/arm64
.PHONY: clean-vm
