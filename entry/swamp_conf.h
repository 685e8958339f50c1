/*
 * swamp.conf for the native entry (entry/execute_execution_record.c): the trusted read and the
 * parser, both written to agree with lib/config/file.ts and lib/config/parse.ts. Wherever the two
 * could disagree the functions answer "unsure" and the entry hands the call to the Node program,
 * which then decides (and reports) exactly as it always did. The parser is pure (no I/O) so a test
 * can compare it with lib/config/parse.ts on any text (test/unit/entry/conf-parse.test.ts).
 */
#ifndef SWAMP_CONF_H
#define SWAMP_CONF_H

#include <stddef.h>

/* lib/config/file.ts MAX_CONFIG_BYTES */
#define SWAMP_CONF_MAX_BYTES (1024 * 1024)

enum conf_result {
  CONF_ABSENT = 0,   /* the key is not in the text */
  CONF_FOUND = 1,    /* *val, *vlen: the value (last line with the key wins), not NUL-terminated */
  CONF_SYNTAX = -1,  /* a line lib/config/parse.ts refuses (ConfigSyntaxError): the config is unusable */
  CONF_UNSURE = -2,  /* a text this parser does not vouch for (NUL byte, stray newline) */
};

/*
 * Looks `key` up in swamp.conf `text` (len bytes) as parseConfigText would: every line is parsed,
 * so a syntax error anywhere gives CONF_SYNTAX even when the key is found. *val points into `work`,
 * a buffer of at least 2 * len + 1 bytes that the caller owns.
 */
int swamp_conf_lookup(const char *text, size_t len, const char *key, char *work, const char **val, size_t *vlen);

/*
 * Reads a configured file under lib/config/file.ts readConfiguredFile's rules with trusted = true:
 * resolved with realpath, nothing under /proc, /sys or /dev, opened O_NOFOLLOW|O_NONBLOCK, a regular
 * file of at most SWAMP_CONF_MAX_BYTES, owned by root or the effective uid and not writable by group
 * or others, in a directory under the same rule (sticky allowed). Returns a malloc'ed buffer (the
 * caller frees it) and its length, or NULL when any rule fails.
 */
char *swamp_conf_read_trusted(const char *path, size_t *len);

#endif
