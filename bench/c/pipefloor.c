/* The warm floor: a request line to a warm C echo over a pipe and its
 * response line back, CONC children at a time, N round trips in all —
 * what a warm worker call costs with nothing around it.
 *
 *   pipefloor N CONC          (the parent: spawns CONC copies of itself)
 *   pipefloor --child         (a warm echo: one response line per request line)
 *
 * Prints one latency per round trip (µs), then "elapsed_us T". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static const char REQ[] = "{\"request_id\":\"r\",\"input\":{\"hello\":\"world\"},\"context\":{}}\n";
static const char RESP[] = "{\"success\":true,\"request_id\":\"r\",\"output\":{\"hello\":\"world\"}}\n";

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int child(void) {
  char buf[65536];
  size_t have = 0;
  for (;;) {
    ssize_t n = read(0, buf + have, sizeof buf - have);
    if (n <= 0) return 0;
    have += (size_t)n;
    char *nl;
    while ((nl = memchr(buf, '\n', have))) {
      if (write(1, RESP, sizeof RESP - 1) < 0) return 1;
      size_t used = (size_t)(nl - buf) + 1;
      memmove(buf, nl + 1, have - used);
      have -= used;
    }
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--child") == 0) return child();
  if (argc < 3) return 2;
  long n = atol(argv[1]);
  int conc = atoi(argv[2]);
  int *to = calloc(conc, sizeof *to), *from = calloc(conc, sizeof *from);
  double *sent = calloc(conc, sizeof *sent);
  pid_t *pids = calloc(conc, sizeof *pids);
  for (int i = 0; i < conc; i++) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC)) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    char *cargv[] = {argv[0], "--child", NULL};
    if (posix_spawn(&pids[i], "/proc/self/exe", &fa, NULL, cargv, environ)) return 1;
    close(in[0]);
    close(out[1]);
    to[i] = in[1];
    from[i] = out[0];
  }
  struct pollfd *fds = calloc(conc, sizeof *fds);
  long issued = 0, done = 0;
  double start = now_us();
  for (int i = 0; i < conc && issued < n; i++, issued++) {
    sent[i] = now_us();
    if (write(to[i], REQ, sizeof REQ - 1) < 0) return 1;
  }
  char buf[65536];
  while (done < n) {
    for (int i = 0; i < conc; i++) fds[i] = (struct pollfd){.fd = from[i], .events = POLLIN};
    if (poll(fds, conc, -1) < 0) return 1;
    for (int i = 0; i < conc; i++) {
      if (!(fds[i].revents & POLLIN)) continue;
      ssize_t got = read(from[i], buf, sizeof buf);
      if (got <= 0) return 1;
      for (ssize_t k = 0; k < got; k++) {
        if (buf[k] != '\n') continue;
        printf("%.1f\n", now_us() - sent[i]);
        done++;
        if (issued < n) {
          issued++;
          sent[i] = now_us();
          if (write(to[i], REQ, sizeof REQ - 1) < 0) return 1;
        }
      }
    }
  }
  printf("elapsed_us %.0f\n", now_us() - start);
  for (int i = 0; i < conc; i++) {
    close(to[i]);
    waitpid(pids[i], NULL, 0);
  }
  return 0;
}
