/*
 * execute_execution_record: the native entry of the program the database calls once per launch
 * (mirswamp/db Data Server/Assessment/assessment_procs.sql process_execution_records runs
 * `<bin>/execute_execution_record <uuid>` through sys_exec, one run after another). Why it exists
 * and what it costs: docs/launchassessment.md "Native entry".
 *
 * It does only the common case, the one the Node program (lib/programs/launchassessment.ts) does
 * when a batch submitter is already running: record the launch request and tell that submitter.
 *
 *   1. argv is exactly one run id, <uuid> or M-<uuid> (lib/cli/ids.ts: one case per uuid);
 *   2. swamp.conf is the installed one, found from argv[0] as lib/config/index.ts
 *      installedConfigCandidates does, read under the same trust rules (swamp_conf.c), and says
 *      nothing this entry does not vouch for: runDir absolute and plain, launchMode batch;
 *   3. <runDir>/<id>.request is written durably (temp file, fsync, rename, directory fsync), with the
 *      content lib/submission/queue.ts writeRequest writes;
 *   4. <runDir>/.submitter.lock is held by a live submitter (lib/submission/lock.ts rules): then
 *      <runDir>/.submitter.more is touched and the answer is 0.
 *
 * Anything else (another argv, a config it does not vouch for, a failed write, no live submitter)
 * is not decided here: the entry execs the Node program beside it (`<dir of this file>/swamp`) with
 * the same argv[0], argv and environment, which validates, logs, refuses or starts the submitter
 * exactly as when it is called directly. The request written in step 3 is rewritten by it (same
 * name, same meaning). So this file can only make a launch faster, never decide one differently;
 * it prints nothing on stdout (sys_exec's contract is the exit status).
 *
 * Writing the request before looking at the lock is what keeps a request from being stranded: a
 * submitter lists the requests again after it released the lock (lib/assessment/submitter.ts).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "swamp_conf.h"

#define NODE_PROGRAM "swamp"
#define DB_NAME "execute_execution_record"
#define SUBMITTER_LOCK ".submitter.lock"
#define SUBMITTER_MORE ".submitter.more"
/* lib/submission/lock.ts DEFAULT_LOCK_MAX_AGE_MS */
#define LOCK_MAX_AGE_MS (15LL * 60 * 1000)

extern char **environ;

static char **g_argv;

/* Hands the call to the Node program beside this file; returns only when that cannot be started. */
static int hand_over(void) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash != NULL && (size_t)(slash - self) + 1 + sizeof NODE_PROGRAM <= sizeof self) {
      memcpy(slash + 1, NODE_PROGRAM, sizeof NODE_PROGRAM);
      execve(self, g_argv, environ);
    }
  }
  /* stderr is mariadbd's error log under sys_exec */
  fprintf(stderr, DB_NAME ": cannot start %s beside %s: %s; nothing launched\n", NODE_PROGRAM, n > 0 ? self : "this program", strerror(errno));
  return 70; /* internal (lib/cli/exit-codes.ts) */
}

static int is_hex(char c, int upper) {
  return (c >= '0' && c <= '9') || (upper ? (c >= 'A' && c <= 'F') : (c >= 'a' && c <= 'f'));
}

/* lib/cli/ids.ts UUID_BODY: 8-4-4-4-12 hex digits, all lower case or all upper case. */
static int is_uuid(const char *s) {
  static const int dash[] = {8, 13, 18, 23};
  if (strlen(s) != 36) return 0;
  for (int pass = 0; pass < 2; pass++) {
    int ok = 1;
    for (int i = 0, d = 0; i < 36 && ok; i++) {
      if (d < 4 && i == dash[d]) {
        ok = s[i] == '-';
        d++;
      } else {
        ok = is_hex(s[i], pass);
      }
    }
    if (ok) return 1;
  }
  return 0;
}

/* lib/assessment/ids.ts parseLaunchId: <uuid> or M-<uuid>, returned as given. */
static int is_launch_id(const char *s) {
  return is_uuid(s) || (s[0] == 'M' && s[1] == '-' && is_uuid(s + 2));
}

/* An absolute path that path.join leaves as it is: no empty, '.' or '..' component. */
static int is_plain_absolute(const char *p, size_t n) {
  if (n == 0 || p[0] != '/' || n >= PATH_MAX - 64) return 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c < 0x20 || c >= 0x7f) return 0; /* ASCII only: what Node reads back is the same bytes */
  }
  size_t i = 1;
  while (i < n) {
    size_t j = i;
    while (j < n && p[j] != '/') j++;
    size_t len = j - i;
    if (len == 0 && j < n) return 0; /* '//' */
    if ((len == 1 && p[i] == '.') || (len == 2 && p[i] == '.' && p[i + 1] == '.')) return 0;
    i = j + 1;
  }
  return 1;
}

/* `<parent of dir of file>/etc/swamp.conf`, lexically as path.join does; file is plain absolute. */
static int config_beside(const char *file, char *out, size_t cap) {
  char d[PATH_MAX];
  size_t n = strlen(file);
  if (n >= sizeof d || !is_plain_absolute(file, n)) return 0;
  memcpy(d, file, n + 1);
  for (int up = 0; up < 2; up++) { /* dirname, then '..' */
    char *slash = strrchr(d, '/');
    if (slash == d) d[1] = '\0';
    else *slash = '\0';
  }
  int w = snprintf(out, cap, "%s%setc/swamp.conf", d, strcmp(d, "/") == 0 ? "" : "/");
  return w > 0 && (size_t)w < cap;
}

/*
 * The installed config as lib/config/index.ts resolveConfigPath({ only: 'installed' }) finds it for
 * argv[0] (absolute under sys_exec): beside the name called, then beside its real path; the first
 * that exists. The Node program also looks beside its own binary; when neither place here exists,
 * 0 is returned and the call is handed over.
 */
static int find_config(const char *argv0, char *out, size_t cap) {
  char real[PATH_MAX];
  if (config_beside(argv0, out, cap) && access(out, F_OK) == 0) return 1;
  if (realpath(argv0, real) != NULL && config_beside(real, out, cap) && access(out, F_OK) == 0) return 1;
  return 0;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A write of the whole buffer (EINTR-safe). */
static int write_all(int fd, const char *b, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    b += w;
    n -= (size_t)w;
  }
  return 1;
}

/*
 * <runDir>/<id>.request as lib/bog/atomic.ts writeFileAtomicSync writes it: a dot-named temp file
 * (never matched by a scan for *.request), fsync, rename, directory fsync.
 */
static int write_request(int dirfd, const char *id) {
  char name[128], tmp[192], body[192], stamp[40];
  long long ms = now_ms();
  time_t sec = (time_t)(ms / 1000);
  struct tm tm;
  gmtime_r(&sec, &tm);
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(name, sizeof name, "%s.request", id);
  int blen = snprintf(body, sizeof body, "{\"execrunid\":\"%s\",\"requested\":\"%s.%03lldZ\"}\n", id, stamp, ms % 1000);
  int fd = -1;
  for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
    snprintf(tmp, sizeof tmp, ".%s.%ld.%d.%08lx.tmp", name, (long)getpid(), attempt, (unsigned long)(ms ^ ((long long)attempt << 20)) & 0xffffffffUL);
    fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 && errno != EEXIST) return 0;
  }
  if (fd < 0) return 0;
  int ok = write_all(fd, body, (size_t)blen) && fsync(fd) == 0;
  ok = close(fd) == 0 && ok;
  if (!ok || renameat(dirfd, tmp, dirfd, name) != 0) {
    unlinkat(dirfd, tmp, 0);
    return 0;
  }
  /* Some file systems refuse fsync on a directory; the rename is atomic all the same (atomic.ts). */
  if (fsync(dirfd) != 0 && errno != EINVAL && errno != EBADF && errno != ENOTSUP && errno != EISDIR) return 0;
  return 1;
}

/* Field 3 (state) and 5 (pgrp) of /proc/<pid>/stat, as lock.ts procStat reads them. */
static int proc_state(long pid, char *state) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  char *rp = strrchr(buf, ')');
  if (rp == NULL || rp[1] != ' ') return 0;
  *state = rp[2];
  return 1;
}

/* lib/proc/pid.ts pidAlive: signal 0; EPERM = alive under another uid. */
static int pid_alive(long pid) {
  return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/* Digits (at most 18) at *p into *v; advances *p. */
static int read_number(const char **p, long long *v) {
  const char *s = *p;
  long long x = 0;
  int n = 0;
  while (*s >= '0' && *s <= '9' && n < 18) x = x * 10 + (*s++ - '0'), n++;
  if (n == 0 || (*s >= '0' && *s <= '9')) return 0;
  *v = x;
  *p = s;
  return 1;
}

/*
 * The holder line `<pid> <host> <epoch ms>[ <pgid>]` then blanks (lock.ts parseHolder's pattern
 * /^(\d+) (\S+) (\d+)(?: (\d+))?\s*$/, over ASCII). pgid is -1 when absent.
 */
static int parse_holder(const char *s, long long *pid, char *host, size_t hcap, long long *since, long long *pgid) {
  size_t h = 0;
  if (!read_number(&s, pid) || *s++ != ' ') return 0;
  while (*s > ' ' && *s < 0x7f && h + 1 < hcap) host[h++] = *s++;
  host[h] = '\0';
  if (h == 0 || *s++ != ' ' || !read_number(&s, since)) return 0;
  *pgid = -1;
  if (s[0] == ' ' && s[1] >= '0' && s[1] <= '9') {
    s++;
    if (!read_number(&s, pgid)) return 0;
  }
  for (; *s; s++)
    if (!(*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r' || *s == '\f' || *s == '\v')) return 0;
  return 1;
}

/*
 * True when a live submitter holds <runDir>/.submitter.lock, by lib/submission/lock.ts lockHeld:
 * stale when older than 15 min, or (on this host) when the holder is gone or a zombie and no process
 * of its group is left. A line this entry cannot read (lock.ts would judge it by the file's age) and
 * every other doubt answer "not held": the call is then handed over and the Node program decides.
 */
static int submitter_running(int dirfd) {
  int fd = openat(dirfd, SUBMITTER_LOCK, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  char buf[512];
  ssize_t n = -1;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  long long pid, since, pgid;
  char host[256], me[256];
  if (!parse_holder(buf, &pid, host, sizeof host, &since, &pgid)) return 0;
  if (now_ms() - since > LOCK_MAX_AGE_MS) return 0;
  if (gethostname(me, sizeof me) != 0) return 0;
  me[sizeof me - 1] = '\0';
  if (strcmp(host, me) != 0) return 1; /* another host's submitter: held until it is too old */
  char state = '?';
  if (pid_alive((long)pid) && !(proc_state((long)pid, &state) && state == 'Z')) return 1;
  /* the holder is gone; a condor_submit it started may still be at work in its group (lock.ts groupAlive) */
  if (pgid > 1 && pgid != (long long)getpgrp() && pid_alive(-(long)pgid)) return 1;
  return 0;
}

int main(int argc, char **argv) {
  g_argv = argv;
  if (argc != 2 || argv[0] == NULL || argv[1] == NULL) return hand_over();
  const char *base = strrchr(argv[0], '/');
  if (base == NULL || strcmp(base + 1, DB_NAME) != 0) return hand_over();
  const char *id = argv[1];
  if (!is_launch_id(id)) return hand_over();

  char conf_path[PATH_MAX];
  if (!find_config(argv[0], conf_path, sizeof conf_path)) return hand_over();
  size_t len = 0;
  char *text = swamp_conf_read_trusted(conf_path, &len);
  if (text == NULL) return hand_over();
  char *work = malloc(2 * len + 1);
  if (work == NULL) return hand_over();
  const char *v;
  size_t vlen;
  int r = swamp_conf_lookup(text, len, "launchMode", work, &v, &vlen);
  /* config.string('launchMode', 'batch'): absent or empty is batch; only 'batch' itself is vouched for */
  if (r < 0 || (r == CONF_FOUND && vlen != 0 && !(vlen == 5 && strncasecmp(v, "batch", 5) == 0))) return hand_over();
  char run_dir[PATH_MAX] = "/opt/swamp/run"; /* lib/config/index.ts DEFAULT_RUN_DIR */
  r = swamp_conf_lookup(text, len, "runDir", work, &v, &vlen);
  if (r < 0) return hand_over();
  if (r == CONF_FOUND && vlen != 0) {
    if (!is_plain_absolute(v, vlen)) return hand_over();
    memcpy(run_dir, v, vlen);
    run_dir[vlen] = '\0';
  }
  free(work);
  free(text);

  int dirfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) return hand_over();
  if (!write_request(dirfd, id) || !submitter_running(dirfd)) {
    close(dirfd);
    return hand_over();
  }
  /* lib/assessment/submitter.ts signalSubmitter: an empty file asks for one more round */
  int fd = openat(dirfd, SUBMITTER_MORE, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  close(dirfd);
  return 0;
}
