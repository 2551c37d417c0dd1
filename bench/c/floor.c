/* The floor: run a function N times, CONC at a time, with nothing around
 * it — posix_spawn (vfork path) + pipes + a poll loop (a pidfd per child
 * for its exit) + waitpid. Same program, arguments, working directory,
 * request bytes and process-group setup as the runtime; the environment is
 * this harness's own.
 *
 *   floor N CONC REQUEST_FILE CWD PROGRAM [ARGS...]
 *
 * FLOOR_PIPE_BYTES=N enlarges the stdin/stdout pipes (F_SETPIPE_SZ).
 * Prints one latency per invocation (µs), then "elapsed_us T" and
 * "bytes_out B" (stdout bytes of the last invocation). Exits 1 if any
 * invocation did not answer {"success":true...} with exit code 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct {
  pid_t pid;
  int in, out, err; /* -1 once closed */
  int pidfd;        /* readable once the child exited; -1 once reaped */
  size_t written;
  char *obuf;
  size_t olen, ocap;
  double t0;
  int status;
} Slot;

static char *req;
static int pipe_bytes; /* FLOOR_PIPE_BYTES: 0 = the kernel default (64 KiB) */
static size_t req_len;

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static void start(Slot *s, char **argv) {
  int pin[2], pout[2], perr[2];
  if (pipe2(pin, O_CLOEXEC) || pipe2(pout, O_CLOEXEC) || pipe2(perr, O_CLOEXEC)) die("pipe2");
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t at;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, pin[0], 0);
  posix_spawn_file_actions_adddup2(&fa, pout[1], 1);
  posix_spawn_file_actions_adddup2(&fa, perr[1], 2);
  posix_spawnattr_init(&at);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&at, 0);
  s->t0 = now_us();
  int rc = posix_spawn(&s->pid, argv[0], &fa, &at, argv, environ);
  if (rc) {
    errno = rc;
    die("posix_spawn");
  }
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&at);
  close(pin[0]);
  close(pout[1]);
  close(perr[1]);
  if (pipe_bytes > 0) { /* experiment: bigger pipes (F_SETPIPE_SZ) */
    fcntl(pin[1], F_SETPIPE_SZ, pipe_bytes);
    fcntl(pout[0], F_SETPIPE_SZ, pipe_bytes);
  }
  s->in = pin[1];
  s->out = pout[0];
  s->err = perr[0];
  fcntl(s->in, F_SETFL, O_NONBLOCK);
  fcntl(s->out, F_SETFL, O_NONBLOCK);
  fcntl(s->err, F_SETFL, O_NONBLOCK);
  s->pidfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
  if (s->pidfd < 0) die("pidfd_open");
  s->written = 0;
  s->olen = 0;
}

/* {"success": true ...}, whatever the whitespace. */
static int success_reply(const char *p, size_t n) {
  const char *end = p + n;
  while (p < end && (*p == ' ' || *p == '\n')) p++;
  if (p == end || *p++ != '{') return 0;
  while (p < end && *p == ' ') p++;
  if (end - p < 9 || memcmp(p, "\"success\"", 9)) return 0;
  p += 9;
  while (p < end && (*p == ' ' || *p == ':')) p++;
  return end - p >= 4 && memcmp(p, "true", 4) == 0;
}

static void drain(Slot *s, int *fd, int keep) {
  char tmp[65536];
  for (;;) {
    if (keep && s->ocap - s->olen < sizeof tmp) {
      s->ocap = s->ocap ? s->ocap * 2 : 1 << 16;
      if (s->ocap - s->olen < sizeof tmp) s->ocap += sizeof tmp;
      s->obuf = realloc(s->obuf, s->ocap);
    }
    ssize_t n = keep ? read(*fd, s->obuf + s->olen, s->ocap - s->olen) : read(*fd, tmp, sizeof tmp);
    if (n > 0) {
      if (keep) s->olen += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return;
    close(*fd);
    *fd = -1;
    return;
  }
}

int main(int argc, char **argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: floor N CONC REQUEST_FILE CWD PROGRAM [ARGS...]\n");
    return 2;
  }
  long n = atol(argv[1]), conc = atol(argv[2]);
  if (getenv("FLOOR_PIPE_BYTES")) pipe_bytes = atoi(getenv("FLOOR_PIPE_BYTES"));
  FILE *f = fopen(argv[3], "rb");
  if (!f) die("request file");
  struct stat st;
  fstat(fileno(f), &st);
  req_len = (size_t)st.st_size;
  req = malloc(req_len + 1);
  if (fread(req, 1, req_len, f) != req_len) die("fread");
  fclose(f);
  if (chdir(argv[4])) die("chdir");
  char **child_argv = argv + 5;
  signal(SIGPIPE, SIG_IGN);

  Slot *slots = calloc((size_t)conc, sizeof *slots);
  for (long i = 0; i < conc; i++) slots[i].pid = 0;
  struct pollfd *pfds = calloc((size_t)conc * 4, sizeof *pfds);
  Slot **owner = calloc((size_t)conc * 4, sizeof *owner);
  long started = 0, done = 0, bad = 0;
  size_t last_out = 0;
  double t_begin = now_us();
  while (done < n) {
    for (long i = 0; i < conc && started < n; i++)
      if (slots[i].pid == 0) {
        start(&slots[i], child_argv);
        started++;
      }
    int np = 0;
    for (long i = 0; i < conc; i++) {
      Slot *s = &slots[i];
      if (!s->pid) continue;
      if (s->in >= 0) pfds[np] = (struct pollfd){s->in, POLLOUT, 0}, owner[np++] = s;
      if (s->out >= 0) pfds[np] = (struct pollfd){s->out, POLLIN, 0}, owner[np++] = s;
      if (s->err >= 0) pfds[np] = (struct pollfd){s->err, POLLIN, 0}, owner[np++] = s;
      if (s->pidfd >= 0) pfds[np] = (struct pollfd){s->pidfd, POLLIN, 0}, owner[np++] = s;
    }
    if (poll(pfds, (nfds_t)np, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    for (int k = 0; k < np; k++) {
      if (!pfds[k].revents) continue;
      Slot *s = owner[k];
      int fd = pfds[k].fd;
      if (fd == s->in) {
        ssize_t w = write(s->in, req + s->written, req_len - s->written);
        if (w > 0) s->written += (size_t)w;
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || s->written == req_len) {
          close(s->in);
          s->in = -1;
        }
      } else if (fd == s->out) {
        drain(s, &s->out, 1);
      } else if (fd == s->err) {
        drain(s, &s->err, 0);
      } else if (fd == s->pidfd) {
        while (waitpid(s->pid, &s->status, 0) < 0 && errno == EINTR) {}
        close(s->pidfd);
        s->pidfd = -1;
      }
    }
    for (long i = 0; i < conc; i++) {
      Slot *s = &slots[i];
      if (!s->pid || s->out >= 0 || s->err >= 0 || s->pidfd >= 0) continue;
      if (s->in >= 0) close(s->in), s->in = -1;
      printf("%.1f\n", now_us() - s->t0);
      int status = s->status;
      int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0 && success_reply(s->obuf, s->olen);
      if (!ok) bad++;
      last_out = s->olen;
      s->pid = 0;
      done++;
    }
  }
  printf("elapsed_us %.1f\nbytes_out %zu\n", now_us() - t_begin, last_out);
  if (bad) fprintf(stderr, "floor: %ld invocations failed\n", bad);
  return bad ? 1 : 0;
}
