# SPDX-License-Identifier: MIT
# doc/local.mk - the documentation: design notes; man pages, installed with
# a one-line page per function (".so" of its family's page, so that
# `man lfp_objpool_get` works); the examples, built by `make check` so they
# never rot; and the tests that lint the pages and run the examples.

EXTRA_DIST += %reldir%/design.md %reldir%/benchmarks.md \
	%reldir%/bench/bulk-64-threads.png \
	%reldir%/bench/bulk-sizes.png \
	%reldir%/bench/churn-64-threads.png \
	%reldir%/bench/larson-0-threads.png \
	%reldir%/bench/memory.png \
	%reldir%/bench/pair-64-threads.png \
	%reldir%/bench/pair-sizes.png \
	%reldir%/bench/pipeline-64-threads.png \
	%reldir%/bench/prodcons-64-threads.png

# One page per family of calls; the functions of a page are its .Nm names.
lfp_man3_pages = \
	%reldir%/lfp_objpool.3 \
	%reldir%/lfp_bufpool.3 \
	%reldir%/lfp_thread_flush.3 \
	%reldir%/lfp_check.3 \
	%reldir%/lfp_stats_print.3 \
	%reldir%/lfp_version.3
dist_man_MANS = $(lfp_man3_pages) %reldir%/lfpool.7

# For each function (.Nm) of each section 3 page other than the page's own
# name, a page that sources the family's page.
lfp_man_names = sed -n 's/^\.Nm \(lfp_[A-Za-z0-9_]*\).*/\1/p'
install-data-hook: lfp-install-man-links
lfp-install-man-links:
	@$(NORMAL_INSTALL)
	@for page in $(lfp_man3_pages); do \
	  fam=`basename $$page .3`; \
	  for fn in `$(lfp_man_names) $(srcdir)/$$page`; do \
	    test "$$fn" = "$$fam" && continue; \
	    f="$(DESTDIR)$(man3dir)/$$fn.3"; \
	    echo ".so man3/$$fam.3" >"$$f" && chmod 644 "$$f" || exit 1; \
	  done; \
	done
uninstall-hook: lfp-uninstall-man-links
lfp-uninstall-man-links:
	@$(NORMAL_UNINSTALL)
	@for page in $(lfp_man3_pages); do \
	  fam=`basename $$page .3`; \
	  for fn in `$(lfp_man_names) $(srcdir)/$$page`; do \
	    test "$$fn" = "$$fam" || rm -f "$(DESTDIR)$(man3dir)/$$fn.3"; \
	  done; \
	done
.PHONY: lfp-install-man-links lfp-uninstall-man-links

# The examples: built by make check, run by test-examples.sh.
lfp_examples = %reldir%/examples/echo-server %reldir%/examples/echo-client
%canon_reldir%_examples_echo_server_SOURCES = %reldir%/examples/echo-server.c
%canon_reldir%_examples_echo_server_LDFLAGS = -no-install
%canon_reldir%_examples_echo_server_LDADD = lib/liblfpool.la $(PTHREAD_LIBS)
%canon_reldir%_examples_echo_client_SOURCES = %reldir%/examples/echo-client.c
%canon_reldir%_examples_echo_client_LDFLAGS = -no-install
%canon_reldir%_examples_echo_client_LDADD = $(PTHREAD_LIBS)
if HAVE_ZLIB
lfp_examples += %reldir%/examples/gunzip-pool
%canon_reldir%_examples_gunzip_pool_SOURCES = %reldir%/examples/gunzip-pool.c
%canon_reldir%_examples_gunzip_pool_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS)
%canon_reldir%_examples_gunzip_pool_LDFLAGS = -no-install
%canon_reldir%_examples_gunzip_pool_LDADD = lib/liblfpool.la $(ZLIB_LIBS)
endif
check_PROGRAMS += $(lfp_examples)

lfp_doc_tests = %reldir%/test-man.sh %reldir%/examples/test-examples.sh
TESTS += $(lfp_doc_tests)
dist_check_SCRIPTS += $(lfp_doc_tests)
