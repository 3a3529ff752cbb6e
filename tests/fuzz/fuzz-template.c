/* libFuzzer target: bytes as a --format template, parsed and executed over
 * an inspect-like document and a ps-like context (with the .Label method
 * and docker's header mode). Every input must parse or be refused with an
 * error, execute or fail with an error, and never crash or leak. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli-template-internal.h"
#include "json-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const docs[] = {
	"{\"Id\":\"abc\",\"State\":{\"Status\":\"running\",\"Pid\":42,\"Running\":true,"
	"\"Health\":null},\"Config\":{\"Labels\":{\"a\":\"1\",\"b.c\":\"2\"},\"Cmd\":[\"sleep\","
	"\"1\"],\"Entrypoint\":null,\"Env\":[]},\"Size\":1.5,\"Mounts\":[{\"Destination\":\"/x\"}],"
	"\"N\":-3,\"Big\":1e300,\"Html\":\"<a&b>\"}",
	"{\"ID\":\"123\",\"Names\":\"web\",\"Labels\":\"a=b\",\"Status\":\"Up\"}",
	"[1,\"two\",null,{\"k\":[]}]",
};

static int method(void *data, json_object *dot, const char *name, json_object *const *args,
		  size_t nargs, json_object **ret, struct berth_error **err)
{
	if (strcmp(name, "Label") != 0)
		return 0;
	if (nargs != 1)
		return berth_error_set(err, 0, BERTH_ERR_INVALID, "wrong number of args");
	*ret = json_object_new_string(json_object_get_string(args[0]));
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cli_template *t = NULL;
	struct berth_error *err = NULL;
	char *text;

	if (size > 4096)
		return 0;
	text = xstrndup((const char *)data, size);
	if (cli_template_parse("fuzz", text, &t, &err) < 0) {
		if (!err || !err->msg)
			abort();
		berth_error_free(err);
		free(text);
		return 0;
	}
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct cli_template_env envs[] = {
			{ 0 },
			{ .type_name = "*formatter.ContainerContext", .method = method },
			{ .type_name = "*formatter.ContainerContext",
			  .method = method,
			  .header = true },
		};
		json_object *doc = json_tokener_parse(docs[i]);
		for (size_t k = 0; k < sizeof(envs) / sizeof(envs[0]); k++) {
			char *out = NULL;
			size_t len = 0;
			err = NULL;
			if (cli_template_execute(t, doc, &envs[k], &out, &len, &err) < 0 &&
			    (!err || !err->msg))
				abort();
			if (out && strlen(out) > len)
				abort();
			berth_error_free(err);
			free(out);
		}
		json_object_put(doc);
	}
	cli_template_free(t);
	free(text);
	return 0;
}
