/*
 * The floor of sampling at 10 Hz on this machine, for the host bench: a native loop that sleeps
 * `interval_ms` and (optionally) reads a /proc file from offset 0 through a kept-open descriptor,
 * as our reader does, `seconds` long. Prints its own CPU per tick in µs (the scheduler's clock,
 * /proc/thread-self/schedstat), so Node's cost of a wake-up can be read against a C program's.
 *
 *   floorloop <interval_ms> <seconds> [file]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void) {
  char text[128];
  int fd = open("/proc/thread-self/schedstat", O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = 0;
  return atoll(text);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: floorloop <interval_ms> <seconds> [file]\n");
    return 2;
  }
  long interval_ms = atol(argv[1]);
  long ticks = atol(argv[2]) * 1000 / interval_ms;
  int fd = argc > 3 ? open(argv[3], O_RDONLY) : -1;
  if (argc > 3 && fd < 0) {
    perror(argv[3]);
    return 1;
  }
  static char buf[8192];
  long long before = cpu_ns();
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  for (long i = 0; i < ticks; i++) {
    next.tv_nsec += interval_ms * 1000000L;
    while (next.tv_nsec >= 1000000000L) {
      next.tv_nsec -= 1000000000L;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    if (fd >= 0 && pread(fd, buf, sizeof buf, 0) < 0) {
      perror("pread");
      return 1;
    }
  }
  printf("%.1f\n", (cpu_ns() - before) / 1000.0 / ticks);
  return 0;
}
