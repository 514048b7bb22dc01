# SPDX-License-Identifier: MIT
# abi/local.mk - the ABI check (README.md, "ABI"), not part of make check:
# `make check-abi` compares the built liblfpool.so with the baseline
# abi/liblfpool.abi (abidiff, from abigail-tools; CI runs it), and
# `make abi-baseline` rewrites the baseline from the build, on purpose.

# ABI_BASELINE=file compares with (or writes) another baseline than
# abi/liblfpool.abi, e.g. the previous release's.
abi_run = top_srcdir='$(top_srcdir)' top_builddir='$(top_builddir)' \
	ABI_BASELINE='$(ABI_BASELINE)' \
	$(SHELL) $(top_srcdir)/%reldir%/check-abi.sh
check-abi: lib/liblfpool.la
	$(abi_run)
abi-baseline: lib/liblfpool.la
	$(abi_run) --update
.PHONY: check-abi abi-baseline
EXTRA_DIST += %reldir%/check-abi.sh %reldir%/liblfpool.abi \
	%reldir%/liblfpool.abignore
