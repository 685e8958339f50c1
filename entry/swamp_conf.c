/*
 * swamp.conf reading for the native entry; see swamp_conf.h. The line rules are those of
 * lib/config/parse.ts (ConfigReader::Simple as the legacy Perl read it), restated here byte by byte:
 *
 *   - WS is the ASCII set \t \n \v \f \r and space (Perl's \s on byte strings);
 *   - a physical line ends after '\n' (the last one may lack it); a UTF-8 byte-order mark at the
 *     very start is dropped;
 *   - continuation: while the logical line's last non-WS byte is a backslash, the backslash and
 *     everything after it are cut and the next physical line is appended; once the text is used up
 *     the loop stops without testing again (the Perl `redo unless eof`);
 *   - one trailing '\n' is removed; a line that is blank or whose first non-WS byte is '#' is skipped;
 *   - otherwise: optional WS, the key (one or more bytes that are neither WS nor '='; none = a syntax
 *     error), WS, an optional '=', WS, then the value: when it starts with a quote (' or ") and its
 *     last non-WS byte is the same quote at a later position, the bytes between the two quotes;
 *     else the rest without trailing WS.
 *
 * UTF-8 needs no decoding here: every byte the rules look at is ASCII, and no byte of a multi-byte
 * (or invalid) sequence is, so a line splits the same way before and after decoding. Only a value
 * with non-ASCII bytes could read differently, and the caller refuses those.
 */
#define _GNU_SOURCE
#include "swamp_conf.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int is_ws(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Appends the physical line at *pos (with its '\n') to work[*wl]; advances *pos. */
static void append_line(const char *text, size_t len, size_t *pos, char *work, size_t *wl) {
  size_t start = *pos;
  const char *nl = memchr(text + start, '\n', len - start);
  size_t end = nl ? (size_t)(nl - text) + 1 : len;
  memcpy(work + *wl, text + start, end - start);
  *wl += end - start;
  *pos = end;
}

int swamp_conf_lookup(const char *text, size_t len, const char *key, char *work, const char **val, size_t *vlen) {
  size_t klen = strlen(key);
  size_t pos = 0;
  int result = CONF_ABSENT;
  if (memchr(text, '\0', len) != NULL) return CONF_UNSURE;
  if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB && (unsigned char)text[2] == 0xBF) pos = 3;
  /* Each logical line is built at the start of work (at most len bytes); a found value is kept
   * after it, at work + len + 1. */
  while (pos < len) {
    size_t wl = 0;
    append_line(text, len, &pos, work, &wl);
    for (;;) {
      size_t p = wl;
      while (p > 0 && is_ws((unsigned char)work[p - 1])) p--;
      if (p == 0 || work[p - 1] != '\\') break;
      wl = p - 1;
      if (pos < len) append_line(text, len, &pos, work, &wl);
      if (pos >= len) break;
    }
    if (wl > 0 && work[wl - 1] == '\n') wl--;
    if (memchr(work, '\n', wl) != NULL) return CONF_UNSURE; /* cannot happen by the rules above */

    size_t i = 0;
    while (i < wl && is_ws((unsigned char)work[i])) i++;
    if (i == wl || work[i] == '#') continue;
    size_t k0 = i;
    while (i < wl && !is_ws((unsigned char)work[i]) && work[i] != '=') i++;
    if (i == k0) return CONF_SYNTAX; /* the first non-blank byte is '=' */
    size_t k1 = i;
    while (i < wl && is_ws((unsigned char)work[i])) i++;
    if (i < wl && work[i] == '=') i++;
    while (i < wl && is_ws((unsigned char)work[i])) i++;
    size_t end = wl;
    while (end > i && is_ws((unsigned char)work[end - 1])) end--;
    size_t v0 = i, v1 = end;
    if (end - i >= 2 && (work[i] == '\'' || work[i] == '"') && work[end - 1] == work[i]) {
      v0 = i + 1;
      v1 = end - 1;
    }
    if (k1 - k0 == klen && memcmp(work + k0, key, klen) == 0) {
      /* Kept past the line area (work[0..len]): the next logical line reuses that. */
      size_t n = v1 - v0;
      char *dst = work + len + 1;
      memmove(dst, work + v0, n);
      *val = dst;
      *vlen = n;
      result = CONF_FOUND;
    }
  }
  return result;
}

/* lib/config/file.ts ownershipProblem: owned by root or euid, not writable by group/others (a sticky directory may be). */
static int ownership_ok(const struct stat *st, int is_dir) {
  if (st->st_uid != 0 && st->st_uid != geteuid()) return 0;
  if ((st->st_mode & 022) != 0 && !(is_dir && (st->st_mode & S_ISVTX))) return 0;
  return 1;
}

char *swamp_conf_read_trusted(const char *path, size_t *len) {
  char real[PATH_MAX];
  if (realpath(path, real) == NULL) return NULL;
  if (strncmp(real, "/proc/", 6) == 0 || strncmp(real, "/sys/", 5) == 0 || strncmp(real, "/dev/", 5) == 0) return NULL;
  int fd = open(real, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return NULL;
  char *buf = NULL;
  struct stat st, dst;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > SWAMP_CONF_MAX_BYTES || !ownership_ok(&st, 0)) goto fail;
  {
    char dir[PATH_MAX];
    memcpy(dir, real, strlen(real) + 1);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) goto fail;
    if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    if (stat(dir, &dst) != 0 || !ownership_ok(&dst, 1)) goto fail;
  }
  /* At most max + 1 bytes: a file that grew after fstat is refused, never read whole. */
  size_t cap = (size_t)st.st_size + 1;
  buf = malloc(cap + 1);
  if (buf == NULL) goto fail;
  size_t got = 0;
  while (got < cap) {
    ssize_t n = read(fd, buf + got, cap - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) goto fail;
    if (n == 0) break;
    got += (size_t)n;
  }
  if (got == cap) goto fail; /* changed while it was read */
  close(fd);
  buf[got] = '\0';
  *len = got;
  return buf;
fail:
  free(buf);
  close(fd);
  return NULL;
}
