# SPDX-License-Identifier: MIT
# tests/install/local.mk - the install test: make install into a staging
# DESTDIR, build and run an outside program through pkg-config (shared and
# static), make uninstall. The test gets the build's make, compiler, flags
# and installation folders from here.

TESTS += %reldir%/test-install.sh
dist_check_SCRIPTS += %reldir%/test-install.sh
EXTRA_DIST += %reldir%/outside.c
AM_TESTS_ENVIRONMENT += \
	LFP_MAKE='$(MAKE)' abs_top_builddir='$(abs_top_builddir)' \
	PKG_CONFIG='$(PKG_CONFIG)' LFP_CC='$(CC)' LFP_CPPFLAGS='$(CPPFLAGS)' \
	LFP_CFLAGS='$(CFLAGS)' LFP_LDFLAGS='$(LDFLAGS)' \
	LFP_libdir='$(libdir)' LFP_includedir='$(includedir)' \
	LFP_pkgconfigdir='$(pkgconfigdir)' LFP_mandir='$(mandir)'; \
	export LFP_MAKE abs_top_builddir PKG_CONFIG LFP_CC LFP_CPPFLAGS \
	LFP_CFLAGS LFP_LDFLAGS LFP_libdir LFP_includedir LFP_pkgconfigdir \
	LFP_mandir;
