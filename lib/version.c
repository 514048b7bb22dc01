/* SPDX-License-Identifier: MIT */
/*
 * version.c - the version of the library actually linked.
 */
#include "internal.h"

#include <lfpool/version.h>

const char *
lfp_version(void)
{
	return PACKAGE_VERSION;
}
