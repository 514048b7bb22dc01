# SPDX-License-Identifier: MIT
EXTRA_DIST += %reldir%/design.md
