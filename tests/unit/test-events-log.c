/* The event history on disk (src/daemon/events-log.c): rotation keeps it
 * bounded, reading back gives the newest events in order, torn and foreign
 * lines are skipped. */
#include <fcntl.h>
#include <unistd.h>

#include "events-log.h"
#include "tap.h"

static char *tmpdir(void)
{
	char tmpl[] = "/tmp/test-events-log-XXXXXX";
	return xstrdup(mkdtemp(tmpl));
}

static json_object *event(int i)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "Action", json_object_new_string("start"));
	json_object_object_add(o, "timeNano", json_object_new_int64(i));
	return o;
}

static size_t count_lines(const char *path)
{
	_cleanup_free_ char *t = NULL;
	size_t n = 0, len = 0;
	if (file_read_all(path, 1 << 20, &t, &len) < 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		n += t[i] == '\n';
	return n;
}

static int64_t nano(json_object *o)
{
	json_object *v = NULL;
	return json_object_object_get_ex(o, "timeNano", &v) ? json_object_get_int64(v) : -1;
}

TEST(rotation_bounds_the_files_and_keeps_the_newest)
{
	_cleanup_free_ char *dir = tmpdir();
	struct events_log *l = NULL;
	json_object **msgs = NULL;
	size_t n = 99;

	ASSERT_OK(events_log_open(dir, 4, &l, &msgs, &n));
	ASSERT_EQ(n, 0);
	free(msgs);
	for (int i = 0; i < 10; i++) {
		json_object *e = event(i);
		events_log_append(l, e);
		json_object_put(e);
	}
	events_log_free(l);
	_cleanup_free_ char *cur = xasprintf("%s/events.log", dir);
	_cleanup_free_ char *old = xasprintf("%s/events.log.1", dir);
	ASSERT_EQ(count_lines(cur), 2);
	ASSERT_EQ(count_lines(old), 4);
	ASSERT_OK(events_log_open(dir, 4, &l, &msgs, &n));
	ASSERT_EQ(n, 4);
	for (size_t i = 0; i < n; i++) {
		ASSERT_EQ(nano(msgs[i]), (int64_t)(6 + i));
		json_object_put(msgs[i]);
	}
	free(msgs);
	/* appending after reopening continues the count of the current file */
	for (int i = 10; i < 13; i++) {
		json_object *e = event(i);
		events_log_append(l, e);
		json_object_put(e);
	}
	events_log_free(l);
	ASSERT_EQ(count_lines(cur), 1);
	ASSERT_EQ(count_lines(old), 4);
	ASSERT_OK(rm_rf(dir));
}

TEST(torn_and_foreign_lines_are_skipped)
{
	_cleanup_free_ char *dir = tmpdir();
	_cleanup_free_ char *cur = xasprintf("%s/events.log", dir);
	const char *text = "{\"timeNano\":1}\nnot json\n[1,2]\n{\"timeNano\":2}\n{\"timeNa";
	struct events_log *l = NULL;
	json_object **msgs = NULL;
	size_t n = 0;

	ASSERT_OK(file_write_atomic(cur, text, strlen(text), 0600));
	ASSERT_OK(events_log_open(dir, 10, &l, &msgs, &n));
	ASSERT_EQ(n, 2);
	ASSERT_EQ(nano(msgs[0]), 1);
	ASSERT_EQ(nano(msgs[1]), 2);
	for (size_t i = 0; i < n; i++)
		json_object_put(msgs[i]);
	free(msgs);
	/* the next event starts on a line of its own, not after the torn one */
	json_object *e = event(3);
	events_log_append(l, e);
	json_object_put(e);
	events_log_free(l);
	ASSERT_OK(events_log_open(dir, 10, &l, &msgs, &n));
	ASSERT_EQ(n, 3);
	ASSERT_EQ(nano(msgs[2]), 3);
	for (size_t i = 0; i < n; i++)
		json_object_put(msgs[i]);
	free(msgs);
	events_log_free(l);
	ASSERT_OK(rm_rf(dir));
}

TEST(an_unwritable_directory_is_an_error)
{
	struct events_log *l = NULL;
	json_object **msgs = NULL;
	size_t n = 0;

	ASSERT_TRUE(events_log_open("/nonexistent/berth-events", 4, &l, &msgs, &n) < 0);
	ASSERT_TRUE(l == NULL);
}
