# SPDX-License-Identifier: MIT
# tests/install/local.mk - the install test: make install into a staging
# DESTDIR, build and run an outside program through pkg-config (shared and
# static), make uninstall. The test gets the build's make, compiler, flags
# and installation folders from AM_TESTS_ENVIRONMENT (Makefile.am).

TESTS += %reldir%/test-install.sh
dist_check_SCRIPTS += %reldir%/test-install.sh
EXTRA_DIST += %reldir%/outside.c
