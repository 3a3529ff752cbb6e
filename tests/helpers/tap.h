/* A tiny TAP test harness: TEST(name) { ... } registers a test; ASSERT_*
 * print the failing expression and end the test. Exit 77 from main skips. */
#ifndef BERTH_TAP_H
#define BERTH_TAP_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap_test {
	const char *name;
	void (*fn)(int *failed);
};

#define TAP_MAX_TESTS 256
static struct tap_test tap_tests[TAP_MAX_TESTS];
static int tap_n_tests;

#define TEST(name)                                                                                 \
	static void test_##name(int *tap_failed);                                                  \
	__attribute__((constructor)) static void tap_register_##name(void)                         \
	{                                                                                          \
		if (tap_n_tests < TAP_MAX_TESTS)                                                   \
			tap_tests[tap_n_tests++] = (struct tap_test){ #name, test_##name };        \
	}                                                                                          \
	static void test_##name(int *tap_failed)

#define TAP_FAIL(...)                                                                              \
	do {                                                                                       \
		printf("# %s:%d: ", __FILE__, __LINE__);                                           \
		printf(__VA_ARGS__);                                                               \
		printf("\n");                                                                      \
		*tap_failed = 1;                                                                   \
		return;                                                                            \
	} while (0)

#define ASSERT_TRUE(e)                                                                             \
	do {                                                                                       \
		if (!(e))                                                                          \
			TAP_FAIL("assertion failed: %s", #e);                                      \
	} while (0)
#define ASSERT_FALSE(e) ASSERT_TRUE(!(e))
#define ASSERT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long _a = (long long)(a), _b = (long long)(b);                                \
		if (_a != _b)                                                                      \
			TAP_FAIL("%s == %s: %lld != %lld", #a, #b, _a, _b);                        \
	} while (0)
#define ASSERT_OK(e)                                                                               \
	do {                                                                                       \
		long long _r = (long long)(e);                                                     \
		if (_r < 0)                                                                        \
			TAP_FAIL("%s failed: %lld", #e, _r);                                       \
	} while (0)
#define ASSERT_STREQ(a, b)                                                                         \
	do {                                                                                       \
		const char *_a = (a), *_b = (b);                                                   \
		if (!_a || !_b || strcmp(_a, _b) != 0)                                             \
			TAP_FAIL("%s == %s: '%s' != '%s'", #a, #b, _a ? _a : "(null)",             \
				 _b ? _b : "(null)");                                              \
	} while (0)
#define ASSERT_CONTAINS(hay, needle)                                                               \
	do {                                                                                       \
		const char *_h = (hay), *_n = (needle);                                            \
		if (!_h || !strstr(_h, _n))                                                        \
			TAP_FAIL("'%s' does not contain '%s'", _h ? _h : "(null)", _n);            \
	} while (0)

/* In a forked child (which returns its exit status): report the failed check
 * as a TAP comment and fail. */
#define CHILD_CHECK(e)                                                                             \
	do {                                                                                       \
		if (!(e)) {                                                                        \
			dprintf(1, "# child %s:%d: %s (errno %d)\n", __FILE__, __LINE__, #e,       \
				errno);                                                            \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

int main(void)
{
	int failures = 0;

	printf("1..%d\n", tap_n_tests);
	for (int i = 0; i < tap_n_tests; i++) {
		int failed = 0;
		tap_tests[i].fn(&failed);
		printf("%s %d - %s\n", failed ? "not ok" : "ok", i + 1, tap_tests[i].name);
		failures += failed;
	}
	return failures ? 1 : 0;
}

#endif
