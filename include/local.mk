# SPDX-License-Identifier: MIT
include_HEADERS += %reldir%/lfpool.h
pkginclude_HEADERS += \
	%reldir%/lfpool/common.h \
	%reldir%/lfpool/objpool.h \
	%reldir%/lfpool/bufpool.h \
	%reldir%/lfpool/check.h \
	%reldir%/lfpool/inline.h \
	%reldir%/lfpool/stats.h \
	%reldir%/lfpool/thread.h
nodist_pkginclude_HEADERS += %reldir%/lfpool/version.h
EXTRA_DIST += %reldir%/lfpool/version.h.in
