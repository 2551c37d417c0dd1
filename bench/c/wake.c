/* What one wake-up costs the woken thread on this machine: a thread sleeps
 * in epoll on an eventfd that another thread writes every 500 us; the
 * sleeper's own CPU time (CLOCK_THREAD_CPUTIME_ID) per wake-up is printed
 * with the writer pinned to the sleeper's CPU and to another one. The JS
 * thread pays this for every batch of results (BENCHMARKS.md, "CPU per
 * invocation"); it is the machine's, not the runtime's. Prints JSON:
 * {"sameCpuUs":…,"otherCpuUs":…} (otherCpuUs null on one CPU). */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define WAKES 3000

static int efd;
static volatile int stop;

static void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static void *writer(void *cpu) {
  pin(*(int *)cpu);
  while (!stop) {
    usleep(500);
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) < 0) return NULL;
  }
  return NULL;
}

static long long thread_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Microseconds of the sleeper's CPU per wake-up, writer on `cpu`. */
static double per_wake(int cpu) {
  pin(0);
  efd = eventfd(0, EFD_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
  stop = 0;
  pthread_t t;
  pthread_create(&t, NULL, writer, &cpu);
  long long start = thread_ns();
  for (int i = 0; i < WAKES; i++) {
    struct epoll_event out;
    uint64_t n;
    while (epoll_wait(ep, &out, 1, -1) < 1) {}
    if (read(efd, &n, sizeof n) < 0) {}
  }
  double us = (thread_ns() - start) / 1000.0 / WAKES;
  stop = 1;
  pthread_join(t, NULL);
  close(ep);
  close(efd);
  return us;
}

int main(void) {
  double same = per_wake(0);
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
    printf("{\"sameCpuUs\":%.2f,\"otherCpuUs\":null}\n", same);
    return 0;
  }
  printf("{\"sameCpuUs\":%.2f,\"otherCpuUs\":%.2f}\n", same, per_wake(1));
  return 0;
}
