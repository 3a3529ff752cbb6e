/* berth CLI: a growable byte buffer for building output. */
#ifndef BERTH_CLI_BUF_INTERNAL_H
#define BERTH_CLI_BUF_INTERNAL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "common.h"

struct cli_buf {
	char *s; /* always NUL-terminated once anything was added */
	size_t len, cap;
};

static inline void cli_buf_done(struct cli_buf *b)
{
	free(b->s);
	*b = (struct cli_buf){ 0 };
}
#define _cleanup_buf_ _cleanup_(cli_buf_done)

void cli_buf_add(struct cli_buf *b, const void *data, size_t len);
void cli_buf_adds(struct cli_buf *b, const char *s);
void cli_buf_addc(struct cli_buf *b, char c);
void cli_buf_printf(struct cli_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string over (never NULL); the buffer is empty afterwards. */
char *cli_buf_take(struct cli_buf *b);

/* Go's JSON encoding of a json-c value: compact (indent NULL) or indented
 * like json.MarshalIndent(v, "", indent); escape_html as encoding/json's. */
void cli_buf_add_json(struct cli_buf *b, json_object *v, const char *indent, bool escape_html);
/* Go's strconv.Quote. */
void cli_buf_add_quoted(struct cli_buf *b, const char *s);

#endif
