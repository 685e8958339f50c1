/*
 * sys_udf.c - sys_exec / sys_eval user-defined functions for MariaDB, written from scratch for
 * swamp-backend (not derived from lib_mysqludf_sys). Full description: docs/database.md.
 *
 *   sys_exec(cmd) -> INTEGER  runs cmd, waits for it, returns its status.
 *   sys_eval(cmd) -> STRING   runs cmd, returns what it wrote on stdout once every writer of the
 *                             pipe has closed it (or the timeout fired).
 *
 * Defaults reproduce the deployed legacy library (mirswamp/deployment lib/lib_mysqludf_sys.c), because the stored
 * procedures and the web application were written against it:
 *   - sys_exec returns the raw wait status (exit code * 256; signal N -> N);
 *   - sys_eval drops the last byte of non-empty output ("x\n" -> "x"), returns NULL for no output.
 * Beyond the legacy library:
 *   - a timeout, after which the child's whole process group gets SIGKILL; sys_exec then returns the
 *     status of the killed shell (non-zero: 9 raw, 137 in exit_status=code mode); sys_eval returns
 *     what it had read so far (with the same last-byte rule), NULL if nothing;
 *   - no descriptor of the server reaches the child (0 = /dev/null, 1 = pipe or server's stdout,
 *     2 = server's stderr = error log, everything >= 3 closed);
 *   - signal mask emptied and every signal disposition reset (mariadbd ignores SIGPIPE etc.);
 *   - the child leads its own process group, so the timeout can kill what it started;
 *   - one output buffer per statement, freed in _deinit (the legacy library leaked per row).
 *
 * Configuration: read in every _init (so a change applies to the next statement, no server restart)
 * from $SWAMP_UDF_CONF (environment of mariadbd) or else <directory of this .so>/sys_udf.conf.
 * A missing file means defaults. Format: "key = value" lines, '#' comments. Keys:
 *   timeout_seconds  = 300     # 0 = no timeout
 *   exit_status      = wait    # wait (legacy raw status) | code (exit code, 128+N on signal N)
 *   chop_last_byte   = yes     # yes (legacy) | no (return stdout verbatim)
 *   max_output_bytes = 16777216
 *   mode             = strict  # strict (no shell, see below; the default) | shell (/bin/sh -c cmd, legacy)
 *   allow            = /abs/program   # repeatable; strict mode runs only these programs
 *   string_commands  = allow   # allow | refuse: refuse = only sys_exec_argv/sys_eval_argv may run anything
 * The file must be a regular file of at most 64 KiB, owned by root or by mariadbd's user and not
 * writable by group or others (like sshd's StrictModes); otherwise every statement using the
 * functions fails. sys_exec_argv(program, arg1, ...) and sys_eval_argv(program, arg1, ...) take each
 * argument as exactly one argv element: nothing is split, quoted or expanded, so a quote in a value can
 * never start another argument; they never use a shell and always need the allowlist.
 * Strict mode: the command is split into words like a POSIX shell does with quotes ('...', "...",
 * backslash) but with nothing expanded and no operators; the first word must be an absolute path
 * listed by an allow line (no allow line: our three entry programs in /usr/local/bin); it is executed
 * directly (posix_spawn = clone+execve, no PATH search, no shell) with a fixed minimal environment.
 * A refused command runs nothing: sys_exec returns exit status 126 (wait status 126*256), sys_eval
 * NULL, and one line naming the command and the reason goes to the error log. Full description:
 * docs/udf-strict.md.
 *
 * Build: see udf/Makefile (needs only gcc + libc6-dev; the server UDF ABI is declared below).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef USE_SERVER_HEADERS
#include <mysql.h>
#else
/* Server-side UDF ABI of MariaDB 10.x/11.x (layout of the server's include/mysql_com.h).
 * Connector/C's headers declare UDF_INIT.max_length as unsigned int: wrong ABI, do not use them. */
typedef char my_bool;
enum Item_result { STRING_RESULT = 0, REAL_RESULT, INT_RESULT, ROW_RESULT, DECIMAL_RESULT, TIME_RESULT };
typedef struct st_udf_args {
  unsigned int arg_count;
  enum Item_result *arg_type;
  char **args;
  unsigned long *lengths;
  char *maybe_null;
  const char **attributes;
  unsigned long *attribute_lengths;
  void *extension;
} UDF_ARGS;
typedef struct st_udf_init {
  my_bool maybe_null;
  unsigned int decimals;
  unsigned long max_length;
  char *ptr;
  my_bool const_item;
  void *extension;
} UDF_INIT;
#endif

#define MYSQL_ERRMSG_SIZE 512
#define CONF_NAME "sys_udf.conf"
#define MAX_ALLOW 64
#define LOG_CMD_MAX 1500 /* bytes of a command quoted in an error-log line */
/* exit statuses of strict mode, as a shell would report them */
#define REFUSED_EXIT 126  /* refused: nothing ran ("cannot execute") */
#define NOEXEC_EXIT 127   /* accepted but the program could not be started ("not found") */

/* Strict mode without allow lines: the backend's entry programs where the production procedures
 * call them (mirswamp/deployment swamp/scripts/execute_execution_record; scripts/install.sh puts ours there). */
static const char *const default_allow[] = {
  "/usr/local/bin/execute_execution_record",
  "/usr/local/bin/launch_viewer",
  "/usr/local/bin/kill_run",
};

extern char **environ;

#define EXPORT __attribute__((visibility("default")))

EXPORT my_bool sys_exec_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
EXPORT void sys_exec_deinit(UDF_INIT *initid);
EXPORT long long sys_exec(UDF_INIT *initid, UDF_ARGS *args, char *is_null, char *error);
EXPORT my_bool sys_eval_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
EXPORT void sys_eval_deinit(UDF_INIT *initid);
EXPORT char *sys_eval(UDF_INIT *initid, UDF_ARGS *args, char *result, unsigned long *length,
                      char *is_null, char *error);
EXPORT my_bool sys_exec_argv_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
EXPORT void sys_exec_argv_deinit(UDF_INIT *initid);
EXPORT long long sys_exec_argv(UDF_INIT *initid, UDF_ARGS *args, char *is_null, char *error);
EXPORT my_bool sys_eval_argv_init(UDF_INIT *initid, UDF_ARGS *args, char *message);
EXPORT void sys_eval_argv_deinit(UDF_INIT *initid);
EXPORT char *sys_eval_argv(UDF_INIT *initid, UDF_ARGS *args, char *result, unsigned long *length,
                           char *is_null, char *error);

/* ------------------------------------------------------------------ configuration */

typedef struct {
  long timeout_ms;          /* 0 = none */
  int raw_wait_status;      /* 1 = legacy */
  int chop_last_byte;       /* 1 = legacy */
  size_t max_output;
  int strict;               /* 0 = /bin/sh -c */
  int refuse_strings;       /* 1 = only the _argv functions run anything */
  int n_allow;
  char *allow[MAX_ALLOW];
} udf_conf;

/* Per-statement state kept in initid->ptr. */
typedef struct {
  udf_conf conf;
  char *out; /* sys_eval output of the current row */
} udf_state;

static void conf_defaults(udf_conf *c) {
  memset(c, 0, sizeof *c);
  c->timeout_ms = 300L * 1000;
  c->raw_wait_status = 1;
  c->chop_last_byte = 1;
  c->max_output = 16UL * 1024 * 1024;
  c->strict = 1; /* the installed default: no shell (docs/udf-strict.md, docs/security.md) */
}

static void conf_free(udf_conf *c) {
  int i;
  for (i = 0; i < c->n_allow; i++) free(c->allow[i]);
  c->n_allow = 0;
}

static char *trim(char *s) {
  char *e;
  while (*s && isspace((unsigned char)*s)) s++;
  e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

static int parse_bool(const char *v, int *out) {
  if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on")) { *out = 1; return 0; }
  if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "off")) { *out = 0; return 0; }
  return -1;
}

/* No allow line in the file: the default allowlist (our entry programs in /usr/local/bin). */
static int conf_default_allow(udf_conf *c) {
  size_t i;
  for (i = 0; i < sizeof default_allow / sizeof default_allow[0]; i++) {
    if (!(c->allow[c->n_allow] = strdup(default_allow[i]))) return -1;
    c->n_allow++;
  }
  return 0;
}

/* The config path: $SWAMP_UDF_CONF, else next to this shared object (= the server's plugin_dir,
 * which we cannot query from inside a UDF). */
static void conf_path(char *buf, size_t n) {
  const char *env = getenv("SWAMP_UDF_CONF");
  Dl_info info;
  if (env && *env) { snprintf(buf, n, "%s", env); return; }
  if (dladdr((void *)&conf_path, &info) && info.dli_fname && strchr(info.dli_fname, '/')) {
    const char *slash = strrchr(info.dli_fname, '/');
    snprintf(buf, n, "%.*s/%s", (int)(slash - info.dli_fname), info.dli_fname, CONF_NAME);
    return;
  }
  snprintf(buf, n, "%s", CONF_NAME);
}

/* Returns 0, or -1 with a message for the SQL error (the statement then fails instead of running
 * a command under a configuration the administrator did not intend). */
static int conf_load(udf_conf *c, char *message) {
  char path[PATH_MAX], line[1024];
  FILE *f;
  int lineno = 0;
  int fd;
  struct stat st;
  conf_defaults(c);
  conf_path(path, sizeof path);
  /* O_NONBLOCK: a FIFO put in its place must not hang the statement; fstat below refuses it */
  fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return conf_default_allow(c) ? (snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: out of memory"), -1) : 0;
    snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: cannot read %.300s: %s", path, strerror(errno));
    return -1;
  }
  /* Trusted by owner and mode, like sshd's StrictModes: whoever can write this file decides what
   * mariadbd runs. Root or mariadbd's own user, not writable by group or others, a regular file. */
  {
    const char *why = NULL;
    char whybuf[80];
    if (fstat(fd, &st) != 0) why = strerror(errno);
    else if (!S_ISREG(st.st_mode)) why = "not a regular file";
    else if (st.st_size > 65536) why = "larger than 64 KiB";
    else if (st.st_uid != 0 && st.st_uid != geteuid()) {
      snprintf(whybuf, sizeof whybuf, "owned by uid %d, not root or mariadbd's", (int)st.st_uid);
      why = whybuf;
    } else if (st.st_mode & 022) why = "writable by group or others";
    if (why) {
      /* the server shows only the start of an init message: the reason goes first */
      snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: config %s: %.300s", why, path);
      close(fd);
      return -1;
    }
  }
  f = fdopen(fd, "r");
  if (!f) {
    close(fd);
    snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: cannot read %.300s: %s", path, strerror(errno));
    return -1;
  }
  while (fgets(line, sizeof line, f)) {
    char *key, *val, *eq, *hash;
    lineno++;
    if ((hash = strchr(line, '#'))) *hash = '\0';
    key = trim(line);
    if (!*key) continue;
    eq = strchr(key, '=');
    if (!eq) goto bad;
    *eq = '\0';
    val = trim(eq + 1);
    key = trim(key);
    if (!strcmp(key, "timeout_seconds")) {
      char *end;
      double s = strtod(val, &end);
      if (end == val || *end || s < 0) goto bad;
      c->timeout_ms = (long)(s * 1000);
    } else if (!strcmp(key, "exit_status")) {
      if (!strcmp(val, "wait")) c->raw_wait_status = 1;
      else if (!strcmp(val, "code")) c->raw_wait_status = 0;
      else goto bad;
    } else if (!strcmp(key, "chop_last_byte")) {
      if (parse_bool(val, &c->chop_last_byte)) goto bad;
    } else if (!strcmp(key, "max_output_bytes")) {
      char *end;
      unsigned long long v = strtoull(val, &end, 10);
      if (end == val || *end || v == 0) goto bad;
      c->max_output = (size_t)v;
    } else if (!strcmp(key, "mode")) {
      if (!strcmp(val, "shell")) c->strict = 0;
      else if (!strcmp(val, "strict")) c->strict = 1;
      else goto bad;
    } else if (!strcmp(key, "string_commands")) {
      if (!strcmp(val, "allow")) c->refuse_strings = 0;
      else if (!strcmp(val, "refuse")) c->refuse_strings = 1;
      else goto bad;
    } else if (!strcmp(key, "allow")) {
      if (val[0] != '/' || c->n_allow >= MAX_ALLOW) goto bad;
      c->allow[c->n_allow] = strdup(val);
      if (!c->allow[c->n_allow]) goto bad;
      c->n_allow++;
    } else {
      goto bad;
    }
  }
  fclose(f);
  if (c->n_allow == 0 && conf_default_allow(c)) goto nomem;
  return 0;
nomem:
  conf_free(c);
  snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: out of memory");
  return -1;
bad:
  fclose(f);
  conf_free(c);
  snprintf(message, MYSQL_ERRMSG_SIZE, "sys_udf: %.300s line %d: bad or unknown setting", path, lineno);
  return -1;
}

/* ------------------------------------------------------------------ strict-mode word splitting */

/* Splits like a POSIX shell with quoting only:
 *   - blanks (space, tab) outside quotes separate words;
 *   - '...' is literal (anything but ', including newlines);
 *   - "..." is literal except \" \\ \$ \` (the backslash is removed) and \<newline> (removed);
 *   - a backslash outside quotes makes the next byte literal; \<newline> is removed.
 * Nothing is expanded. Refused (NULL, reason in why): a newline outside quotes (a shell would start
 * a second command), the operators and expansion characters $ ` ; & | < > ( ) outside quotes, the
 * characters a shell would treat as globs, tilde or brace expansion (* ? [ ~ { }) outside quotes,
 * a word-initial # (a comment), $ or ` inside double quotes, an unbalanced quote, a trailing
 * backslash, an empty command. Refusing rather than taking those characters literally means a
 * command written for /bin/sh never silently means something else here.
 * Returns a NULL-terminated argv in one allocation (free() it). */
static char **split_words(const char *cmd, char *why, size_t whylen) {
  const char *s = cmd;
  size_t n = strlen(cmd);
  char **argv;
  char *buf, *w;
  size_t argc = 0, maxw = n / 2 + 2;
  int in_word = 0;
#define REFUSE(...) do { snprintf(why, whylen, __VA_ARGS__); free(argv); return NULL; } while (0)
  argv = malloc(maxw * sizeof(char *) + n + 1);
  if (!argv) { snprintf(why, whylen, "out of memory"); return NULL; }
  buf = (char *)(argv + maxw);
  w = buf;
  while (*s) {
    char ch = *s;
    size_t at = (size_t)(s - cmd);
    if (ch == ' ' || ch == '\t') {
      if (in_word) { *w++ = '\0'; in_word = 0; }
      s++;
      continue;
    }
    if (ch == '\n') REFUSE("newline outside quotes at byte %zu", at);
    if (!in_word) {
      if (ch == '#') REFUSE("unquoted '#' (comment) at byte %zu", at);
      argv[argc++] = w;
      in_word = 1;
    }
    if (ch == '\'') {
      s++;
      while (*s && *s != '\'') *w++ = *s++;
      if (!*s) REFUSE("unbalanced single quote opened at byte %zu", at);
      s++;
    } else if (ch == '"') {
      s++;
      while (*s && *s != '"') {
        if (*s == '$' || *s == '`') REFUSE("unquoted '%c' inside double quotes at byte %zu", *s, (size_t)(s - cmd));
        if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' || s[1] == '`')) { s++; *w++ = *s++; continue; }
        if (*s == '\\' && s[1] == '\n') { s += 2; continue; }
        *w++ = *s++;
      }
      if (!*s) REFUSE("unbalanced double quote opened at byte %zu", at);
      s++;
    } else if (ch == '\\') {
      s++;
      if (!*s) REFUSE("trailing backslash at byte %zu", at);
      if (*s == '\n') { s++; continue; }
      *w++ = *s++;
    } else if (strchr("$`;&|<>()", ch)) {
      REFUSE("unquoted '%c' (shell operator or expansion) at byte %zu", ch, at);
    } else if (strchr("*?[~{}", ch)) {
      REFUSE("unquoted '%c' (glob, tilde or brace expansion) at byte %zu", ch, at);
    } else {
      *w++ = *s++;
    }
  }
  if (in_word) *w++ = '\0';
  argv[argc] = NULL;
  if (argc == 0) REFUSE("empty command");
#undef REFUSE
  return argv;
}

/* ------------------------------------------------------------------ process handling */

static long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* One line in the server's error log (= stderr of mariadbd), in the server's own line format
 * ("YYYY-MM-DD hh:mm:ss 0 [Warning] ..."). The command is quoted with control bytes escaped (a newline
 * in a hostile value must not forge a second log line) and cut after LOG_CMD_MAX bytes. */
static void log_err(const char *what, const char *cmd) {
  char line[LOG_CMD_MAX * 4 + 512], stamp[32];
  size_t o = 0, i, n = strlen(cmd);
  time_t t = time(NULL);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
  o += (size_t)snprintf(line + o, sizeof line - o, "%s 0 [Warning] sys_udf: %s: \"", stamp, what);
  if (o >= sizeof line) o = sizeof line - 1;
  for (i = 0; i < n && i < LOG_CMD_MAX && o + 8 < sizeof line; i++) {
    unsigned char c = (unsigned char)cmd[i];
    if (c == '\n') { line[o++] = '\\'; line[o++] = 'n'; }
    else if (c == '\\' || c == '"') { line[o++] = '\\'; line[o++] = (char)c; }
    else if (c < 0x20 || c == 0x7f) o += (size_t)snprintf(line + o, sizeof line - o, "\\x%02x", c);
    else line[o++] = (char)c;
  }
  line[o] = '\0';
  if (n > LOG_CMD_MAX) snprintf(line + o, sizeof line - o, "\"... (%zu bytes)\n", n);
  else snprintf(line + o, sizeof line - o, "\"\n");
  fputs(line, stderr);
  fflush(stderr);
}

/* The fixed environment of strict-mode children: nothing of mariadbd's environment is passed on. */
typedef struct {
  char *envp[8];
  char home[PATH_MAX + 8], user[300], logname[300];
} strict_env;

static void make_strict_env(strict_env *e) {
  struct passwd pw, *res = NULL;
  char pwbuf[4096];
  const char *name = "nobody", *home = "/";
  if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof pwbuf, &res) == 0 && res) {
    if (res->pw_name && *res->pw_name) name = res->pw_name;
    if (res->pw_dir && *res->pw_dir) home = res->pw_dir;
  }
  snprintf(e->home, sizeof e->home, "HOME=%s", home);
  snprintf(e->user, sizeof e->user, "USER=%s", name);
  snprintf(e->logname, sizeof e->logname, "LOGNAME=%s", name);
  e->envp[0] = (char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  e->envp[1] = e->home;
  e->envp[2] = e->user;
  e->envp[3] = e->logname;
  e->envp[4] = (char *)"SHELL=/bin/sh";
  e->envp[5] = (char *)"LANG=C.UTF-8";
  e->envp[6] = NULL;
}

/* Result of spawn_cmd besides 0 (started) and an errno (could not start). */
#define SPAWN_REFUSED (-1)

/* Starts cmd. out_fd >= 0 becomes the child's stdout; out_fd < 0 keeps mariadbd's.
 * Shell mode: /bin/sh -c cmd with the server's environment (legacy).
 * Strict mode: the split words, the first one must be on the allowlist; fixed environment.
 * Returns 0, SPAWN_REFUSED (logged, nothing ran) or an errno. */
static int spawn_cmd(const udf_conf *c, const char *fn, const char *cmd, char **given_argv, int out_fd, pid_t *pid) {
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  sigset_t none, all;
  char *sh_argv[] = {"sh", "-c", (char *)cmd, NULL};
  char **argv = sh_argv, **words = NULL, **envp = environ;
  const char *prog = "/bin/sh";
  strict_env senv;
  int rc, strict = c->strict || given_argv != NULL;

  if (given_argv == NULL && c->refuse_strings) {
    char what[200];
    snprintf(what, sizeof what, "refused %s (string_commands = refuse: only the _argv functions run programs)", fn);
    log_err(what, cmd);
    return SPAWN_REFUSED;
  }
  if (strict) {
    char why[200], what[300];
    int i, ok = 0;
    if (given_argv != NULL) {
      words = given_argv;
    } else {
      words = split_words(cmd, why, sizeof why);
      if (!words) {
        snprintf(what, sizeof what, "strict mode refused %s (%s)", fn, why);
        log_err(what, cmd);
        return SPAWN_REFUSED;
      }
    }
    if (words[0][0] != '/') {
      snprintf(what, sizeof what, "strict mode refused %s (program '%.100s' is not an absolute path)", fn, words[0]);
      log_err(what, cmd);
      if (words != given_argv) free(words);
      return SPAWN_REFUSED;
    }
    for (i = 0; i < c->n_allow; i++)
      if (!strcmp(words[0], c->allow[i])) ok = 1;
    if (!ok) {
      snprintf(what, sizeof what, "strict mode refused %s (program '%.150s' is not on the allowlist)", fn, words[0]);
      log_err(what, cmd);
      if (words != given_argv) free(words);
      return SPAWN_REFUSED;
    }
    argv = words;
    prog = words[0];
    make_strict_env(&senv);
    envp = senv.envp;
  }

  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
  posix_spawn_file_actions_addclosefrom_np(&fa, 3); /* glibc >= 2.34: nothing of the server leaks */

  posix_spawnattr_init(&at);
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setpgroup(&at, 0); /* own process group: the timeout kills the whole tree */
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  /* posix_spawn, not posix_spawnp: no PATH search; glibc reports a failed execve as the result */
  rc = posix_spawn(pid, prog, &fa, &at, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  if (rc != 0 && strict) {
    char what[300];
    snprintf(what, sizeof what, "strict mode could not start %s program '%.150s': %s", fn, prog, strerror(rc));
    log_err(what, cmd);
  }
  if (words != given_argv) free(words);
  return rc;
}

static void kill_group(pid_t pid) {
  kill(-pid, SIGKILL);
}

/* Waits for pid until deadline_ms (0 = none). On timeout kills the group and reaps the child.
 * Returns the wait status, or -1 on error. *timed_out tells whether the timeout fired. */
static int wait_child(pid_t pid, long deadline_ms, int *timed_out) {
  int st, pfd = -1;
  pid_t r;
  if (deadline_ms) pfd = (int)syscall(SYS_pidfd_open, pid, 0);
  for (;;) {
    if (!deadline_ms) {
      r = waitpid(pid, &st, 0);
    } else {
      long left = deadline_ms - now_ms();
      r = waitpid(pid, &st, WNOHANG);
      if (r == 0) {
        if (left <= 0) {
          *timed_out = 1;
          kill_group(pid);
          deadline_ms = 0;
          continue;
        }
        if (pfd >= 0) {
          struct pollfd p = {pfd, POLLIN, 0};
          poll(&p, 1, (int)(left > 1000 ? 1000 : left));
        } else {
          struct timespec ts = {0, 5 * 1000000L}; /* no pidfd (old kernel): poll every 5 ms */
          nanosleep(&ts, NULL);
        }
        continue;
      }
    }
    if (r == pid) break;
    if (r < 0 && errno == EINTR) continue;
    if (pfd >= 0) close(pfd);
    return -1;
  }
  if (pfd >= 0) close(pfd);
  return st;
}

static long long status_value(const udf_conf *c, int st) {
  if (c->raw_wait_status) return st;
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return st;
}

/* Deadline of this call: the optional second argument (seconds, 0 = none) overrides the
 * configured timeout for one call, so a caller (or a test) can bound one command without changing
 * the file that every other statement reads. */
static long call_deadline(const udf_conf *c, UDF_ARGS *args) {
  long ms = c->timeout_ms;
  if (args->arg_count == 2 && args->args[1] != NULL) {
    long long v = *(long long *)args->args[1];
    ms = v > 0 ? (long)(v * 1000) : 0;
  }
  return ms ? now_ms() + ms : 0;
}

/* Server argument strings are not NUL-terminated: copy with the given length. An embedded NUL
 * would silently cut the command, so it is refused. */
static char *arg_cstr(UDF_ARGS *args) {
  char *s;
  if (args->args[0] == NULL) return NULL;
  if (memchr(args->args[0], '\0', args->lengths[0])) return NULL;
  s = malloc(args->lengths[0] + 1);
  if (!s) return NULL;
  memcpy(s, args->args[0], args->lengths[0]);
  s[args->lengths[0]] = '\0';
  return s;
}

static my_bool common_init(UDF_INIT *initid, UDF_ARGS *args, char *message, const char *name) {
  udf_state *st;
  if (args->arg_count != 1 && args->arg_count != 2) {
    snprintf(message, MYSQL_ERRMSG_SIZE, "%s(command [, timeout_seconds]) takes one or two arguments", name);
    return 1;
  }
  args->arg_type[0] = STRING_RESULT;
  if (args->arg_count == 2) args->arg_type[1] = INT_RESULT;
  st = calloc(1, sizeof *st);
  if (!st) { snprintf(message, MYSQL_ERRMSG_SIZE, "%s: out of memory", name); return 1; }
  if (conf_load(&st->conf, message)) { free(st); return 1; }
  initid->ptr = (char *)st;
  initid->maybe_null = 1;
  initid->const_item = 0;
  return 0;
}

static void common_deinit(UDF_INIT *initid) {
  udf_state *st = (udf_state *)initid->ptr;
  if (!st) return;
  conf_free(&st->conf);
  free(st->out);
  free(st);
  initid->ptr = NULL;
}

/* ------------------------------------------------------------------ running a command */

/* Runs cmd (string form) or argv (the _argv functions) and returns sys_exec's value. */
static long long exec_common(udf_state *s, const char *fn, const char *cmd, char **argv, long deadline, char *is_null) {
  pid_t pid;
  int st, rc, timed_out = 0;
  rc = spawn_cmd(&s->conf, fn, cmd, argv, -1, &pid);
  if (rc != 0) {
    /* strict mode: a refusal or a failed start is a non-zero status, as a shell would report it
     * (126 cannot execute, 127 not found), so every caller's "!= 0" sees an error; a NULL would
     * read as success in kill_assessment_run ("IF NULL != 0" is not true). Shell mode: NULL, as before. */
    if (s->conf.strict || argv != NULL || rc == SPAWN_REFUSED) return status_value(&s->conf, (rc == SPAWN_REFUSED ? REFUSED_EXIT : NOEXEC_EXIT) << 8);
    *is_null = 1;
    return 0;
  }
  st = wait_child(pid, deadline, &timed_out);
  if (timed_out) log_err("sys_exec timed out, process group killed", cmd);
  if (st < 0) { *is_null = 1; return 0; }
  return status_value(&s->conf, st);
}

/* Runs cmd or argv with stdout into a pipe; returns sys_eval's value (NULL: *is_null set). */
static char *eval_common(udf_state *s, const char *fn, const char *cmd, char **argv, long deadline, unsigned long *length, char *is_null) {
  int fds[2], timed_out = 0;
  pid_t pid;
  char *buf = NULL;
  size_t len = 0, cap = 0, max = s->conf.max_output;
  int keep = 1;
  /* O_CLOEXEC: a child spawned at the same moment by another server thread must not inherit our
   * write end, or this call would wait for that unrelated child. */
  if (pipe2(fds, O_CLOEXEC) != 0) { *is_null = 1; return NULL; }
  if (spawn_cmd(&s->conf, fn, cmd, argv, fds[1], &pid) != 0) {
    close(fds[0]); close(fds[1]); *is_null = 1; return NULL;
  }
  close(fds[1]);

  for (;;) {
    ssize_t n;
    char tmp[8192];
    if (deadline) {
      long left = deadline - now_ms();
      struct pollfd p = {fds[0], POLLIN, 0};
      int pr;
      if (left <= 0) { timed_out = 1; break; }
      pr = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
      if (pr < 0 && errno != EINTR) break;
      if (pr <= 0) continue;
    }
    n = read(fds[0], tmp, sizeof tmp);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break; /* EOF: every writer closed the pipe */
    if (keep && len < max) {
      size_t take = (size_t)n;
      if (len + take > max) take = max - len;
      if (len + take > cap) {
        size_t ncap = cap ? cap * 2 : 16384;
        char *nb;
        while (ncap < len + take) ncap *= 2;
        nb = realloc(buf, ncap);
        if (!nb) { keep = 0; continue; } /* out of memory: keep what we have, drain the rest */
        buf = nb;
        cap = ncap;
      }
      memcpy(buf + len, tmp, take);
      len += take;
    } /* else keep draining so the child never blocks on a full pipe */
  }
  if (timed_out) kill_group(pid);
  close(fds[0]);
  wait_child(pid, timed_out ? 0 : deadline, &timed_out);
  if (timed_out) log_err("sys_eval timed out, process group killed", cmd);

  if (len == 0) { free(buf); *is_null = 1; return NULL; }
  if (s->conf.chop_last_byte) len--;
  s->out = buf;
  *length = len;
  return buf;
}

/* ------------------------------------------------------------------ sys_exec */

my_bool sys_exec_init(UDF_INIT *initid, UDF_ARGS *args, char *message) {
  return common_init(initid, args, message, "sys_exec");
}

void sys_exec_deinit(UDF_INIT *initid) { common_deinit(initid); }

long long sys_exec(UDF_INIT *initid, UDF_ARGS *args, char *is_null, char *error) {
  udf_state *s = (udf_state *)initid->ptr;
  long long v;
  char *cmd = arg_cstr(args);
  (void)error;
  if (!cmd) {
    /* NULL argument: NULL (legacy). An embedded NUL byte in strict mode: refused like any other */
    if (s->conf.strict && args->args[0] != NULL) {
      log_err("strict mode refused sys_exec (NUL byte in the command)", "(not shown)");
      return status_value(&s->conf, REFUSED_EXIT << 8);
    }
    *is_null = 1;
    return 0;
  }
  v = exec_common(s, "sys_exec", cmd, NULL, call_deadline(&s->conf, args), is_null);
  free(cmd);
  return v;
}

/* ------------------------------------------------------------------ sys_eval */

my_bool sys_eval_init(UDF_INIT *initid, UDF_ARGS *args, char *message) {
  if (common_init(initid, args, message, "sys_eval")) return 1;
  initid->max_length = 65535; /* metadata only: the column type of CREATE ... SELECT */
  return 0;
}

void sys_eval_deinit(UDF_INIT *initid) { common_deinit(initid); }

char *sys_eval(UDF_INIT *initid, UDF_ARGS *args, char *result, unsigned long *length,
               char *is_null, char *error) {
  udf_state *s = (udf_state *)initid->ptr;
  char *cmd, *out;
  (void)result;
  (void)error;

  free(s->out);
  s->out = NULL;

  cmd = arg_cstr(args);
  if (!cmd) {
    if (s->conf.strict && args->args[0] != NULL) log_err("strict mode refused sys_eval (NUL byte in the command)", "(not shown)");
    *is_null = 1;
    return NULL;
  }
  out = eval_common(s, "sys_eval", cmd, NULL, call_deadline(&s->conf, args), length, is_null);
  free(cmd);
  return out;
}

/* ------------------------------------------------------------------ sys_exec_argv / sys_eval_argv */

/* The _argv forms: program and arguments as separate SQL values, each one argv element exactly.
 * Nothing is split, unquoted or expanded, no shell in either mode, the allowlist always applies.
 * A NULL or NUL-containing argument refuses the call (a value cannot silently vanish or be cut). */
static my_bool argv_init(UDF_INIT *initid, UDF_ARGS *args, char *message, const char *name) {
  udf_state *st;
  unsigned int i;
  if (args->arg_count < 1 || args->arg_count > 256) {
    snprintf(message, MYSQL_ERRMSG_SIZE, "%s(program [, argument]...) takes 1 to 256 arguments", name);
    return 1;
  }
  for (i = 0; i < args->arg_count; i++) args->arg_type[i] = STRING_RESULT;
  st = calloc(1, sizeof *st);
  if (!st) { snprintf(message, MYSQL_ERRMSG_SIZE, "%s: out of memory", name); return 1; }
  if (conf_load(&st->conf, message)) { free(st); return 1; }
  initid->ptr = (char *)st;
  initid->maybe_null = 1;
  initid->const_item = 0;
  return 0;
}

/* Builds argv (one allocation, free() it) and a display string for log lines (*display, free() it).
 * Returns NULL when an argument is NULL or holds a NUL byte (the reason in why). */
static char **argv_build(UDF_ARGS *args, char **display, char *why, size_t whylen) {
  size_t total = 0, i, n = args->arg_count;
  char **argv, *p, *d;
  *display = NULL;
  for (i = 0; i < n; i++) {
    if (args->args[i] == NULL) { snprintf(why, whylen, "argument %zu is NULL", i + 1); return NULL; }
    if (memchr(args->args[i], '\0', args->lengths[i])) { snprintf(why, whylen, "argument %zu holds a NUL byte", i + 1); return NULL; }
    total += args->lengths[i] + 1;
  }
  argv = malloc((n + 1) * sizeof(char *) + total);
  d = malloc(total + 1);
  if (!argv || !d) { free(argv); free(d); snprintf(why, whylen, "out of memory"); return NULL; }
  p = (char *)(argv + n + 1);
  *display = d;
  for (i = 0; i < n; i++) {
    memcpy(p, args->args[i], args->lengths[i]);
    p[args->lengths[i]] = '\0';
    argv[i] = p;
    p += args->lengths[i] + 1;
    memcpy(d, args->args[i], args->lengths[i]);
    d += args->lengths[i];
    *d++ = ' ';
  }
  d[-1] = '\0';
  argv[n] = NULL;
  return argv;
}

my_bool sys_exec_argv_init(UDF_INIT *initid, UDF_ARGS *args, char *message) {
  return argv_init(initid, args, message, "sys_exec_argv");
}

void sys_exec_argv_deinit(UDF_INIT *initid) { common_deinit(initid); }

long long sys_exec_argv(UDF_INIT *initid, UDF_ARGS *args, char *is_null, char *error) {
  udf_state *s = (udf_state *)initid->ptr;
  char why[100], what[200], *display;
  char **argv = argv_build(args, &display, why, sizeof why);
  long long v;
  (void)error;
  if (!argv) {
    snprintf(what, sizeof what, "refused sys_exec_argv (%s)", why);
    log_err(what, "(not shown)");
    return status_value(&s->conf, REFUSED_EXIT << 8);
  }
  v = exec_common(s, "sys_exec_argv", display, argv, s->conf.timeout_ms ? now_ms() + s->conf.timeout_ms : 0, is_null);
  free(argv);
  free(display);
  return v;
}

my_bool sys_eval_argv_init(UDF_INIT *initid, UDF_ARGS *args, char *message) {
  if (argv_init(initid, args, message, "sys_eval_argv")) return 1;
  initid->max_length = 65535;
  return 0;
}

void sys_eval_argv_deinit(UDF_INIT *initid) { common_deinit(initid); }

char *sys_eval_argv(UDF_INIT *initid, UDF_ARGS *args, char *result, unsigned long *length,
                    char *is_null, char *error) {
  udf_state *s = (udf_state *)initid->ptr;
  char why[100], what[200], *display, *out;
  char **argv;
  (void)result;
  (void)error;
  free(s->out);
  s->out = NULL;
  argv = argv_build(args, &display, why, sizeof why);
  if (!argv) {
    snprintf(what, sizeof what, "refused sys_eval_argv (%s)", why);
    log_err(what, "(not shown)");
    *is_null = 1;
    return NULL;
  }
  out = eval_common(s, "sys_eval_argv", display, argv, s->conf.timeout_ms ? now_ms() + s->conf.timeout_ms : 0, length, is_null);
  free(argv);
  free(display);
  return out;
}
