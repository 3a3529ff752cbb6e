/* Unit tests of the --format template engine (src/cli/cli-template*.c). */
#include <json-c/json.h>
#include <string.h>

#include "cli-template-internal.h"
#include "json-util.h"
#include "tap.h"

static const char *doc = "{\"Id\":\"abc\",\"Name\":\"/web\",\"State\":{\"Status\":\"running\","
			 "\"Pid\":42,\"Running\":true},\"Config\":{\"Labels\":{\"b\":\"2\","
			 "\"a\":\"1\"},\"Cmd\":[\"sleep\",\"10\"],\"Entrypoint\":null},"
			 "\"Size\":1.5,\"Empty\":\"\",\"Html\":\"<a&b>\"}";

/* Render tmpl over doc (or data) with env; the output or "ERR: msg". */
static char *render_env(const char *tmpl, const char *data, const struct cli_template_env *env)
{
	_cleanup_(cli_template_freep) struct cli_template *t = NULL;
	_cleanup_error_ struct berth_error *err = NULL;
	_cleanup_json_ json_object *o = json_tokener_parse(data ? data : doc);
	char *out = NULL;
	size_t len = 0;

	if (cli_template_parse(NULL, tmpl, &t, &err) < 0)
		return xasprintf("ERR: %s", err->msg);
	if (cli_template_execute(t, o, env, &out, &len, &err) < 0) {
		free(out);
		return xasprintf("ERR: %s", err->msg);
	}
	return out ? out : xstrdup("");
}

static char *render(const char *tmpl)
{
	return render_env(tmpl, NULL, NULL);
}

#define CHECK(tmpl, want)                                                                          \
	do {                                                                                       \
		_cleanup_free_ char *_got = render(tmpl);                                          \
		ASSERT_STREQ(_got, want);                                                          \
	} while (0)

TEST(fields)
{
	CHECK("{{.Id}}", "abc");
	CHECK("x {{.State.Status}} y", "x running y");
	CHECK("{{.State.Pid}}", "42");
	CHECK("{{.State.Running}}", "true");
	CHECK("{{.Size}}", "1.5");
	CHECK("{{.Config.Cmd}}", "[sleep 10]");
	CHECK("{{.Config.Entrypoint}}", "[]");
	CHECK("{{.Config.Labels}}", "map[a:1 b:2]");
	CHECK("{{.State}}", "{running 42 true}");
	CHECK("{{.Config.Labels.a}}", "1");
	CHECK("{{.Config.Labels.zz}}", "<no value>");
	CHECK("{{.}}", "{abc /web {running 42 true} {map[a:1 b:2] [sleep 10] []} 1.5  <a&b>}");
}

TEST(missing_fields)
{
	CHECK("{{.Nope}}", "ERR: template: :1:2: executing \"\" at <.Nope>: map has no entry for "
			   "key \"Nope\"");
	CHECK("{{.State.Nope}}", "ERR: template: :1:2: executing \"\" at <.State.Nope>: map has no "
				 "entry for key \"Nope\"");
	CHECK("{{.Id.X}}", "ERR: template: :1:2: executing \"\" at <.Id.X>: can't evaluate field X "
			   "in type string");
}

TEST(functions)
{
	CHECK("{{json .State}}", "{\"Status\":\"running\",\"Pid\":42,\"Running\":true}");
	CHECK("{{json .Html}}", "\"<a&b>\"");
	CHECK("{{json .Config.Cmd}}", "[\"sleep\",\"10\"]");
	CHECK("{{index .Config.Labels \"b\"}}", "2");
	CHECK("{{index .Config.Labels \"zz\"}}", "");
	CHECK("{{index .Config.Cmd 1}}", "10");
	CHECK("{{join .Config.Cmd \",\"}}", "sleep,10");
	CHECK("{{upper .State.Status}}", "RUNNING");
	CHECK("{{lower \"ABC\"}}", "abc");
	CHECK("{{title \"hello world\"}}", "Hello World");
	CHECK("{{.State.Status | upper}}", "RUNNING");
	CHECK("{{println .Id}}", "abc\n");
	CHECK("{{printf \"%s-%d\" .Id .State.Pid}}", "abc-42");
	CHECK("{{printf \"%5s|%-4d|%q\" .Id 7 .Id}}", "  abc|7   |\"abc\"");
	CHECK("{{len .Config.Cmd}}", "2");
	CHECK("{{split \"a:b:c\" \":\"}}", "[a b c]");
	CHECK("{{pad .Id 1 2}}|", " abc  |");
	CHECK("{{truncate .Id 2}}", "ab");
	CHECK("{{eq .State.Status \"running\"}}", "true");
	CHECK("{{ne .State.Pid 42}}", "false");
	CHECK("{{lt 1 2}} {{ge 2 2}} {{gt 1.5 2}}", "true true false");
	CHECK("{{and .Id .Empty}}|{{or .Empty .Id}}|{{not .Empty}}", "|abc|true");
	CHECK("{{print 1 2 \"a\" 3}}", "1 2a3");
	CHECK("{{index .Config.Cmd 5}}",
	      "ERR: template: :1:2: executing \"\" at <index .Config.Cmd "
	      "5>: error calling index: index out of range: 5");
	CHECK("{{html .Html}}", "&lt;a&amp;b&gt;");
}

TEST(control)
{
	CHECK("{{if .State.Running}}up{{else}}down{{end}}", "up");
	CHECK("{{if .Empty}}a{{else if .Id}}b{{else}}c{{end}}", "b");
	CHECK("{{range .Config.Cmd}}[{{.}}]{{end}}", "[sleep][10]");
	CHECK("{{range $i, $c := .Config.Cmd}}{{$i}}={{$c}} {{end}}", "0=sleep 1=10 ");
	CHECK("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;");
	CHECK("{{range .Config.Entrypoint}}x{{else}}none{{end}}", "none");
	CHECK("{{with .State}}{{.Pid}}{{end}}", "42");
	CHECK("{{with .Empty}}x{{else}}y{{end}}", "y");
	CHECK("{{range .Config.Cmd}}{{if eq . \"10\"}}{{break}}{{end}}{{.}}{{end}}", "sleep");
	CHECK("{{range .Config.Cmd}}{{if eq . \"sleep\"}}{{continue}}{{end}}{{.}}{{end}}", "10");
	CHECK("{{$x := .Id}}{{$x}}-{{$.Name}}", "abc-/web");
	CHECK("{{$x := 1}}{{$x = 2}}{{$x}}", "2");
	CHECK("{{range .Config.Cmd}}{{$.Id}}{{end}}", "abcabc");
	CHECK("a  {{- .Id -}}  b", "aabcb");
	CHECK("{{/* a comment */}}x{{- /* another */ -}} y", "xy");
	CHECK("{{(index .Config.Labels \"a\")}}", "1");
	CHECK("{{with $s := .State}}{{$s.Pid}}{{end}}", "42");
	CHECK("{{\"raw\"}} {{`back`}} {{'a'}} {{true}} {{nil}}", "raw back 97 true <nil>");
}

TEST(parse_errors)
{
	CHECK("{{.Names", "ERR: template: :1: unclosed action");
	CHECK("{{if .Id}}x", "ERR: template: :1: unexpected EOF");
	CHECK("{{end}}", "ERR: template: :1: unexpected {{end}}");
	CHECK("{{nosuchfunc .Id}}", "ERR: template: :1: function \"nosuchfunc\" not defined");
	CHECK("{{}}", "ERR: template: :1: missing value for command");
	CHECK("x\n{{.A}}\n{{.B", "ERR: template: :3: unclosed action");
	CHECK("{{\"abc}}", "ERR: template: :1: unterminated quoted string");
}

TEST(error_positions)
{
	CHECK("ab\ncd {{.Nope}}", "ERR: template: :2:5: executing \"\" at <.Nope>: map has no "
				  "entry for key \"Nope\"");
	CHECK("{{range .Id}}{{end}}",
	      "ERR: template: :1:8: executing \"\" at <.Id>: range can't iterate over abc");
}

static int ctx_method(void *data, json_object *dot, const char *name, json_object *const *args,
		      size_t nargs, json_object **ret, struct berth_error **err)
{
	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "wrong number of args");
	*ret = json_object_new_string(strcmp(json_object_get_string(args[0]), "a") == 0 ? "x" : "");
	return 1;
}

TEST(context_methods)
{
	struct cli_template_env env = { .type_name = "*formatter.ContainerContext",
					.method = ctx_method };
	const char *ctx = "{\"ID\":\"123\",\"Names\":\"web\"}";
	_cleanup_free_ char *a = render_env("{{.ID}} {{.Label \"a\"}}|{{.Label \"b\"}}", ctx, &env);
	_cleanup_free_ char *b = render_env("{{.Nope}}", ctx, &env);
	_cleanup_free_ char *c = render_env("{{join .Names \",\"}}", ctx, &env);
	_cleanup_free_ char *d = NULL;

	ASSERT_STREQ(a, "123 x|");
	ASSERT_STREQ(b, "ERR: template: :1:2: executing \"\" at <.Nope>: can't evaluate field Nope "
			"in type *formatter.ContainerContext");
	ASSERT_CONTAINS(c, "wrong type for value; expected []string; got string");
	env.header = true;
	d = render_env("{{json .ID}} {{upper .Names}}",
		       "{\"ID\":\"CONTAINER ID\",\"Names\":"
		       "\"NAMES\"}",
		       &env);
	ASSERT_STREQ(d, "CONTAINER ID NAMES");
}

TEST(json_go_encoding)
{
	_cleanup_free_ char *a = render("{{json .Html}}");
	_cleanup_free_ char *b = render_env("{{json .}}",
					    "{\"a\":\"\\u0001\\n\\u2028\",\"b\":[],"
					    "\"c\":{},\"d\":null,\"e\":-3}",
					    NULL);

	ASSERT_STREQ(a, "\"<a&b>\"");
	ASSERT_STREQ(b, "{\"a\":\"\\u0001\\n\\u2028\",\"b\":[],\"c\":{},\"d\":null,\"e\":-3}");
}
