/* SPDX-License-Identifier: MIT */
/*
 * test_build_cxx.cc - proves <lfpool.h> compiles as C++ with
 * -pedantic-errors and that its declarations link from C++ (extern "C"
 * guards): lfp_test_cxx(), called by test_build.c, uses a pool once.
 */
#include <lfpool.h>

#include <cstring>

extern "C" int lfp_test_cxx(void);

static int
cxx_ctor(void *obj, void *arg)
{
	static_cast<void>(arg);
	std::memset(obj, 0x3c, 32);
	return 0;
}

extern "C" int
lfp_test_cxx(void)
{
	struct lfp_objpool_attr attr;
	struct lfp_objpool_stats st;
	struct lfp_objpool *pool;
	void *obj;
	int rc = 0;

	if (lfp_objpool_attr_init(&attr) != 0)
		return 1;
	attr.size = 32;
	attr.ctor = cxx_ctor;
	attr.name = "c++";
	pool = lfp_objpool_create(&attr);
	if (!pool)
		return 2;
	obj = lfp_objpool_get(pool);
	if (!obj)
		rc = 3;
	else if (static_cast<unsigned char *>(obj)[31] != 0x3c)
		rc = 4;
	if (obj && lfp_objpool_put(pool, obj) != 0)
		rc = 5;
	lfp_thread_flush();
	if (lfp_objpool_stats(pool, &st) != 0 || st.gets != 1 ||
	    st.puts != 1 || std::strcmp(st.name, "c++") != 0)
		rc = rc ? rc : 6;
	if (lfp_objpool_destroy(pool) != 0)
		rc = rc ? rc : 7;
	if (std::strcmp(lfp_version(), LFP_VERSION_STRING) != 0)
		rc = rc ? rc : 8;

	struct lfp_bufpool_attr battr;
	if (lfp_bufpool_attr_init(&battr) != 0)
		return rc ? rc : 9;
	struct lfp_bufpool *bp = lfp_bufpool_create(&battr);
	if (!bp)
		return rc ? rc : 10;
	void *buf = lfp_bufpool_alloc(bp, 33);
	if (!buf || lfp_bufpool_capacity(bp, buf) != 64 ||
	    lfp_bufpool_free(bp, buf) != 0)
		rc = rc ? rc : 11;
	if (lfp_bufpool_destroy(bp) != 0)
		rc = rc ? rc : 12;
	return rc;
}
