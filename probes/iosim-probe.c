/*
 * iosim-probe: the measurements behind `iosim calibrate`, one subcommand each.
 *
 *   iosim-probe <probe> <runs> <runMs> [dir] [fileBytes]
 *
 * probe is one of info, memcpy, syscall, taskswitch, spawn, fileread, mmap, tcp,
 * multiplex, uring. Each run takes many short samples for about runMs milliseconds
 * (at least 3) and keeps their median; the probe prints, per quantity, one
 * JSON line with the median of every run:
 *
 *   {"probe":"memcpy","case":"4KiB","unit":"bytes/ns","runs":[31.2,30.8,31.5],"samples":4211}
 *
 * A case the machine cannot measure prints "unsupported" with the reason
 * instead of "runs". iosim computes the spread across runs and maps the
 * numbers onto a profile; this program only measures. Written in C because
 * Node or Python would add their own overhead to every call measured.
 *
 * Build: cc -O2 -pthread -o iosim-probe iosim-probe.c   (Linux only)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <math.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SAMPLES 200000
#define MAX_RUNS 64

static int runs = 5;
static double run_ms = 200;
static const char *dir = "/tmp";
static size_t file_bytes = 64u << 20;

static double mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static double cpu_ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "iosim-probe: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * The mean of the lowest 98% of *n* samples (sorted in place): for a latency whose total matters (a transfer waits
 * each wake-up in full, so its elapsed time sums them) the mean, not the median, which a right-skewed latency's tail
 * pulls away from; the top 2% left out, so that a host's rare multi-millisecond stall of the vCPU does not.
 */
static double trimmed_mean(double *v, int n) {
  qsort(v, n, sizeof *v, cmp_double);
  int keep = n - n / 50;
  double sum = 0;
  for (int i = 0; i < keep; i++) sum += v[i];
  return sum / keep;
}

/* One sample: returns its value in the quantity's unit. */
typedef double (*sample_fn)(void *ctx);

static double samples_buf[MAX_SAMPLES];
static long total_samples;

/* Returns the median of samples of fn taken for about run_ms (at least 3). */
static double measure(sample_fn fn, void *ctx) {
  double start = mono_ns();
  int n = 0;
  while (n < MAX_SAMPLES && (n < 3 || mono_ns() - start < run_ms * 1e6)) samples_buf[n++] = fn(ctx);
  total_samples += n;
  return median(samples_buf, n);
}

static void print_runs(const char *probe, const char *kase, const char *unit, const double *v, int n, long samples) {
  printf("{\"probe\":\"%s\",\"case\":\"%s\",\"unit\":\"%s\",\"runs\":[", probe, kase, unit);
  /* JSON has no NaN or Infinity: such a run is null, and iosim reports the quantity as unmeasured. */
  for (int i = 0; i < n; i++) {
    if (i) putchar(',');
    if (isfinite(v[i])) printf("%.6g", v[i]);
    else fputs("null", stdout);
  }
  printf("],\"samples\":%ld}\n", samples);
  fflush(stdout);
}

static void print_unsupported(const char *probe, const char *kase, const char *unit, const char *why) {
  printf("{\"probe\":\"%s\",\"case\":\"%s\",\"unit\":\"%s\",\"unsupported\":\"%s\"}\n", probe, kase, unit, why);
  fflush(stdout);
}

/* Measures *fn* `runs` times and prints the runs as probe/kase, with the samples of all runs. */
static void measure_runs(const char *probe, const char *kase, const char *unit, sample_fn fn) {
  double v[MAX_RUNS];
  long samples = 0;
  for (int r = 0; r < runs; r++) {
    total_samples = 0;
    v[r] = measure(fn, NULL);
    samples += total_samples;
  }
  print_runs(probe, kase, unit, v, runs, samples);
}

/*
 * Runs two probes interleaved, run by run (so each run's pair saw the same
 * moment of the machine), and prints both as probe/case_a and probe/case_b.
 */
static void measure_pair(const char *probe, const char *unit, const char *case_a, sample_fn a, const char *case_b, sample_fn b) {
  double va[MAX_RUNS], vb[MAX_RUNS];
  long sa = 0, sb = 0;
  for (int r = 0; r < runs; r++) {
    total_samples = 0;
    va[r] = measure(a, NULL);
    sa += total_samples;
    total_samples = 0;
    vb[r] = measure(b, NULL);
    sb += total_samples;
  }
  print_runs(probe, case_a, unit, va, runs, sa);
  print_runs(probe, case_b, unit, vb, runs, sb);
}

/* ---- info ---------------------------------------------------------------- */

/*
 * Whether this kernel's thread CPU clocks count softirq time. With
 * CONFIG_IRQ_TIME_ACCOUNTING (and TSC-based sched_clock, `tsc=noirqtime`
 * not given), irqtime_account_irq() (kernel/sched/cputime.c) books softirq
 * time run outside ksoftirqd as CPUTIME_SOFTIRQ and update_rq_clock_task()
 * (kernel/sched/core.c) takes it out of the task's clock, so
 * CLOCK_THREAD_CPUTIME_ID reads less than the CPU a busy thread used. A
 * thread alone on its CPU sends UDP datagrams to itself over loopback
 * (the receive path runs in softirq in its own context, when sendto
 * re-enables bottom halves) and reads them back: its thread clock over
 * wall time, against the same for null system calls, is ~1 where softirq
 * is counted and clearly below where it is not. Returns that ratio
 * (median of 5 pairs of 20 ms loops), or NaN if it cannot run.
 */
static double thread_clock_softirq_share(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t len = sizeof a;
  if (u < 0 || bind(u, (struct sockaddr *)&a, sizeof a) || getsockname(u, (struct sockaddr *)&a, &len)) {
    if (u >= 0) close(u);
    return NAN;
  }
  char b[1024] = {0};
  double r[5];
  for (int k = 0; k < 5; k++) {
    double share[2];
    for (int which = 0; which < 2; which++) {
      double w0 = mono_ns(), c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), w1;
      do {
        for (int i = 0; i < 32; i++) {
          if (which == 0) {
            if (sendto(u, b, sizeof b, 0, (struct sockaddr *)&a, sizeof a) != (ssize_t)sizeof b || recv(u, b, sizeof b, 0) != (ssize_t)sizeof b) {
              close(u);
              return NAN;
            }
          } else syscall(SYS_getppid);
        }
        w1 = mono_ns();
      } while (w1 - w0 < 20e6);
      share[which] = (cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (w1 - w0);
    }
    r[k] = share[0] / share[1];
  }
  close(u);
  return median(r, 5);
}

static int probe_info(void) {
  cpu_set_t set;
  int affinity = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : -1;
  printf("{\"info\":{\"onlineCpus\":%ld,\"affinityCpus\":%d,\"pageBytes\":%ld,\"physBytes\":%.0f}}\n", sysconf(_SC_NPROCESSORS_ONLN), affinity,
         sysconf(_SC_PAGESIZE), (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE));
  /* Pinned to one CPU, so that nothing but this thread runs its softirqs there. */
  cpu_set_t one, before;
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set)) cpu++;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  int restore = sched_getaffinity(0, sizeof before, &before) == 0 && sched_setaffinity(0, sizeof one, &one) == 0;
  double share = thread_clock_softirq_share();
  if (restore) sched_setaffinity(0, sizeof before, &before);
  if (isfinite(share)) printf("{\"info\":{\"threadClockSoftirqShare\":\"%.3f\"}}\n", share);
  fflush(stdout);
  return 0;
}

/* ---- memcpy -------------------------------------------------------------- */

/* Through a volatile pointer, so the compiler cannot drop or inline the copies. */
static void *(*volatile copy_fn)(void *, const void *, size_t) = memcpy;

struct copy_ctx {
  char *src, *dst;
  size_t bytes;
  int repeat;
};

static double copy_sample(void *p) {
  struct copy_ctx *c = p;
  double t0 = mono_ns();
  for (int i = 0; i < c->repeat; i++) copy_fn(c->dst, c->src, c->bytes);
  double t1 = mono_ns();
  return (double)c->bytes * c->repeat / (t1 - t0);
}

/*
 * One side streaming: a 64 MiB source read once in 1 MiB chunks, each copied into the same 1 MiB buffer, as read(2)
 * copies a file's page-cache pages (streaming from memory) into a reused user buffer (which stays in a cache), or
 * recv(2) an skb's pages. Half the traffic of a memory-to-memory copy of the same size (no destination stream).
 */
/* One page copied as the kernel's copy_to_user copies it: x86-64's copy_user_generic() is `rep movsb` on CPUs with
   fast short rep movs (arch/x86/include/asm/uaccess_64.h); elsewhere memcpy. */
static void copy_page_as_kernel(char *dst, const char *src) {
#if defined(__x86_64__)
  size_t n = 4096;
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
#else
  copy_fn(dst, src, 4096);
#endif
}

struct stream_ctx {
  char *src, *dst;
  size_t chunk, span, pos;
};

static double stream_sample(void *p) {
  struct stream_ctx *c = p;
  double t0 = mono_ns();
  for (size_t done = 0; done < c->span; done += c->chunk) {
    /* Page by page, as copy_page_to_iter() copies each page-cache page: no memcpy large enough for glibc's
       non-temporal stores, which would send the buffer's lines to memory instead of keeping them cached. */
    for (size_t off = 0; off < c->chunk; off += 4096) copy_page_as_kernel(c->dst + off, c->src + c->pos + off);
    c->pos = (c->pos + c->chunk) % c->span;
  }
  return (double)c->span / (mono_ns() - t0);
}

static int probe_memcpy(void) {
  /* The copy-cost curve's points: in L1, in L2 (two sizes), in a server's L3, streaming from memory. */
  static const size_t sizes[] = {4096, 64 << 10, 256 << 10, 8 << 20, 64 << 20};
  static const char *names[] = {"4KiB", "64KiB", "256KiB", "8MiB", "64MiB"};
  size_t max = 64 << 20;
  char *src, *dst;
  if (posix_memalign((void **)&src, 4096, max) || posix_memalign((void **)&dst, 4096, max)) die("posix_memalign");
  memset(src, 1, max);
  memset(dst, 2, max);
  for (int s = 0; s < (int)(sizeof sizes / sizeof sizes[0]); s++) {
    struct copy_ctx c = {src, dst, sizes[s], (int)((1 << 20) / sizes[s]) ?: 1};
    double v[MAX_RUNS];
    total_samples = 0;
    for (int r = 0; r < runs; r++) v[r] = measure(copy_sample, &c);
    print_runs("memcpy", names[s], "bytes/ns", v, runs, total_samples);
  }
  struct stream_ctx sc = {src, dst, 1 << 20, max, 0};
  double v[MAX_RUNS];
  total_samples = 0;
  for (int r = 0; r < runs; r++) v[r] = measure(stream_sample, &sc);
  print_runs("memcpy", "from memory into 1MiB", "bytes/ns", v, runs, total_samples);
  return 0;
}

/* ---- system calls -------------------------------------------------------- */

#define CALLS 1000

static double null_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < CALLS; i++) syscall(SYS_getppid);
  return (mono_ns() - t0) / CALLS;
}

static int zero_fd;

static double read1_sample(void *p) {
  char b;
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < CALLS; i++)
    if (read(zero_fd, &b, 1) != 1) die("read /dev/zero");
  return (mono_ns() - t0) / CALLS;
}

static int probe_syscall(void) {
  zero_fd = open("/dev/zero", O_RDONLY);
  if (zero_fd < 0) die("open /dev/zero");
  measure_pair("syscall", "ns/call", "null", null_sample, "read1", read1_sample);
  return 0;
}

/* ---- task switch: pipe ping-pong on one CPU ------------------------------- */

#define TRIPS 200

static int to_child[2], to_parent[2], self_pipe[2];

static double pingpong_sample(void *p) {
  char b = 0;
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < TRIPS; i++) {
    if (write(to_child[1], &b, 1) != 1 || read(to_parent[0], &b, 1) != 1) die("ping-pong");
  }
  return (mono_ns() - t0) / TRIPS;
}

static double pair_sample(void *p) {
  char b = 0;
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < TRIPS; i++) {
    if (write(self_pipe[1], &b, 1) != 1 || read(self_pipe[0], &b, 1) != 1) die("pipe pair");
  }
  return (mono_ns() - t0) / TRIPS;
}

/*
 * Forks the ping-pong's child, which echoes every byte from to_child back
 * on to_parent until to_child closes; pinned to *pin* unless it is NULL.
 * Only the parent's write end may stay open, or the child never sees EOF.
 */
static pid_t start_echo_child(const cpu_set_t *pin) {
  if (pipe(to_child) || pipe(to_parent)) die("pipe");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    char c;
    close(to_child[1]);
    close(to_parent[0]);
    if (pin && sched_setaffinity(0, sizeof *pin, pin) != 0) _exit(1);
    while (read(to_child[0], &c, 1) == 1)
      if (write(to_parent[1], &c, 1) != 1) _exit(1);
    _exit(0);
  }
  close(to_child[0]);
  close(to_parent[1]);
  return child;
}

/* Ends the echo child: EOF on its pipe, then waits for it. */
static void stop_echo_child(pid_t child) {
  close(to_child[1]);
  close(to_parent[0]);
  waitpid(child, NULL, 0);
}

/*
 * The same ping-pong with the two processes pinned to two CPUs: nothing
 * switches, and each hand-over is a wake-up of a task on another CPU, which
 * on Linux takes an IPI unless that CPU idles polling (mwait): what the
 * model's cpu.ipiNs and cpu.idlePolls price.
 */
static void wake_one_way(int second);

static int pingpong_two_cpus(const cpu_set_t *mine, int first) {
  int second = first + 1;
  while (second < CPU_SETSIZE && !CPU_ISSET(second, mine)) second++;
  if (second >= CPU_SETSIZE) {
    print_unsupported("taskswitch", "pingpong round trip, two CPUs", "ns", "only one CPU to run on");
    return 0;
  }
  cpu_set_t a, b;
  CPU_ZERO(&a);
  CPU_SET(first, &a);
  CPU_ZERO(&b);
  CPU_SET(second, &b);
  pid_t child = start_echo_child(&b);
  if (sched_setaffinity(0, sizeof a, &a) != 0) die("sched_setaffinity");
  measure_runs("taskswitch", "pingpong round trip, two CPUs", "ns", pingpong_sample);
  stop_echo_child(child);
  /* The parent stays pinned to the first CPU: the reader thread wakes on the second. */
  wake_one_way(second);
  return 0;
}

/*
 * One wake-up across CPUs onto an idle one: a thread pinned to the second CPU blocks in read(2) on a pipe; after
 * about 50 µs asleep (its CPU idle all along), the first thread takes the time and writes a byte; the reader takes the
 * time as its read returns. The difference is the whole wake-up: the writer's system call and wake-up work, the IPI
 * (or the polling flag), the reader's CPU leaving its idle state, the switch from idle and the read's return. Both
 * clocks are CLOCK_MONOTONIC, the same on every CPU.
 *
 * The same samples give each side's CPU time (CLOCK_THREAD_CPUTIME_ID, the scheduler's sum_exec_runtime): the
 * writer's around its write(2) (the wake-up's work on the waker's CPU, the IPI's send among it), the reader's around
 * its blocking read(2) (entry, sleep, and after the wake-up the switch in and the return). Measured against the same
 * calls with nothing to wake and nothing to wait for (a write and a read of a pipe by one thread, timed the same way,
 * in the same run), the difference is what a wake-up across CPUs costs each side: what the model's cpu.ipiSendNs and
 * cpu.ipiNs price. (On the development VM each side paid ~14 µs, against ~1 µs on one CPU: the IPI is a VM exit.)
 */
static int wake_pipe[2], ack_pipe[2];
static double wake_t1, wake_rx_cpu;
/* Counts the reader's wake-ups, bumped after it took its times and answered: the spinning writer's signal. */
static atomic_long wake_seq;
static cpu_set_t wake_cpu;

static void *wake_reader(void *p) {
  (void)p;
  char c;
  if (pthread_setaffinity_np(pthread_self(), sizeof wake_cpu, &wake_cpu) != 0) return NULL;
  for (;;) {
    double c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    if (read(wake_pipe[0], &c, 1) != 1) break;
    wake_rx_cpu = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
    wake_t1 = mono_ns();
    if (write(ack_pipe[1], &c, 1) != 1) break;
    atomic_fetch_add(&wake_seq, 1);
  }
  return NULL;
}

/* One wake-up: its one-way time, the writer's CPU time in write(2) and the reader's in read(2), ns. */
static void wake_sample(double out[3]) {
  char c = 0;
  struct timespec gap = {0, 50000};
  nanosleep(&gap, NULL);
  double t0 = mono_ns(), c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  if (write(wake_pipe[1], &c, 1) != 1) die("wake-up");
  double c1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  if (read(ack_pipe[0], &c, 1) != 1) die("wake-up");
  out[0] = wake_t1 - t0;
  out[1] = c1 - c0;
  out[2] = wake_rx_cpu;
}

/* The same calls with nothing to wake and nothing to wait for, timed the same way: a write's and a read's CPU, ns. */
static void quiet_sample(double out[2]) {
  char c = 0;
  double c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  if (write(self_pipe[1], &c, 1) != 1) die("pipe write");
  double c1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  if (read(self_pipe[0], &c, 1) != 1) die("pipe read");
  double c2 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  out[0] = c1 - c0;
  out[1] = c2 - c1;
}

static void wake_one_way(int second) {
  static const char *names[] = {
    "wake-up onto an idle CPU, one way",
    "wake-up onto an idle CPU, waker CPU in write",
    "wake-up onto an idle CPU, woken CPU in read",
    "pipe write, nothing to wake, CPU",
    "pipe read, data waiting, CPU",
  };
  CPU_ZERO(&wake_cpu);
  CPU_SET(second, &wake_cpu);
  if (pipe(wake_pipe) || pipe(ack_pipe)) die("pipe");
  pthread_t t;
  if (pthread_create(&t, NULL, wake_reader, NULL) != 0) die("pthread_create");
  /* Each run: wake-ups for about run_ms, then as many quiet calls; the medians of each quantity. */
  static double v[5][MAX_RUNS], s[5][MAX_SAMPLES / 5];
  long samples[5] = {0, 0, 0, 0, 0};
  const int cap = MAX_SAMPLES / 5;
  for (int r = 0; r < runs; r++) {
    int n = 0;
    double start = mono_ns();
    while (n < cap && (n < 3 || mono_ns() - start < run_ms * 1e6 / 2)) {
      double out[3];
      wake_sample(out);
      for (int k = 0; k < 3; k++) s[k][n] = out[k];
      n++;
    }
    for (int k = 0; k < 3; k++) v[k][r] = median(s[k], n), samples[k] += n;
    n = 0;
    start = mono_ns();
    while (n < cap && (n < 3 || mono_ns() - start < run_ms * 1e6 / 2)) {
      double out[2];
      quiet_sample(out);
      s[3][n] = out[0];
      s[4][n] = out[1];
      n++;
    }
    for (int k = 3; k < 5; k++) v[k][r] = median(s[k], n), samples[k] += n;
  }
  for (int k = 0; k < 5; k++) print_runs("taskswitch", names[k], "ns", v[k], runs, samples[k]);
  /*
   * The same one-way wake-up after idles of other lengths: where an idle core halts, how long it comes back in can
   * depend on how long it was idle (a virtual machine's host polls a halted vCPU a while before it deschedules it). The
   * writer never sleeps here: it spins until the reader has taken its times and answered (wake_seq), so the reader's
   * CPU idles from its next read(2) until the writer, spinning the gap meanwhile, writes again: the idle is the gap.
   * (Blocking on the answer instead, as the samples above do, would idle the reader for the writer's own wake-up, tens
   * of µs, on top of the gap.) Transfers idle their reader a few µs between segments, a ping-pong tens.
   */
  static const int gaps_us[] = {1, 2, 5, 10, 20, 50, 200, 1000};
  const int ngaps = (int)(sizeof gaps_us / sizeof gaps_us[0]);
  for (int g = 0; g < ngaps; g++) {
    /* The one-way time, and the woken reader's CPU time in its read (its thread clock, as above): each run's trimmed mean. */
    double gv[MAX_RUNS], gr[MAX_RUNS];
    long gs = 0;
    for (int r = 0; r < runs; r++) {
      int n = 0;
      double start = mono_ns();
      while (n < cap && (n < 3 || mono_ns() - start < run_ms * 1e6 / 8)) {
        double s0 = mono_ns();
        while (mono_ns() - s0 < gaps_us[g] * 1e3) {
        }
        char c = 0;
        long seq0 = atomic_load(&wake_seq);
        double t0 = mono_ns();
        if (write(wake_pipe[1], &c, 1) != 1) die("wake-up");
        while (atomic_load(&wake_seq) == seq0) {
        }
        /* The answer is written before wake_seq moves: this read finds it and does not sleep. */
        if (read(ack_pipe[0], &c, 1) != 1) die("wake-up");
        s[0][n] = wake_t1 - t0;
        s[1][n++] = wake_rx_cpu;
      }
      gv[r] = trimmed_mean(s[0], n);
      gr[r] = trimmed_mean(s[1], n);
      gs += n;
    }
    char kase[80];
    snprintf(kase, sizeof kase, "wake-up onto an idle CPU, one way, reader idle %d us", gaps_us[g]);
    print_runs("taskswitch", kase, "ns", gv, runs, gs);
    snprintf(kase, sizeof kase, "wake-up onto an idle CPU, woken CPU in read, reader idle %d us", gaps_us[g]);
    print_runs("taskswitch", kase, "ns", gr, runs, gs);
  }
  close(wake_pipe[1]);
  pthread_join(t, NULL);
  close(wake_pipe[0]);
  close(ack_pipe[0]);
  close(ack_pipe[1]);
}

static int probe_taskswitch(void) {
  cpu_set_t one;
  CPU_ZERO(&one);
  cpu_set_t mine;
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) die("sched_getaffinity");
  int cpu = 0;
  while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &mine)) cpu++;
  CPU_SET(cpu, &one);
  /* Both processes on one CPU: every hand-over is a switch on that CPU. */
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    char why[160];
    snprintf(why, sizeof why, "cannot pin to one CPU (sched_setaffinity: %s)", strerror(errno));
    print_unsupported("taskswitch", "pingpong round trip", "ns", why);
    print_unsupported("taskswitch", "pipe write+read, no switch", "ns", why);
    return 0;
  }
  if (pipe(self_pipe)) die("pipe");
  /* The child inherits the one-CPU affinity. */
  pid_t child = start_echo_child(NULL);
  measure_pair("taskswitch", "ns", "pingpong round trip", pingpong_sample, "pipe write+read, no switch", pair_sample);
  stop_echo_child(child);
  return pingpong_two_cpus(&mine, cpu);
}

/* ---- process and thread creation ----------------------------------------- */

static double fork_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) _exit(0);
  if (waitpid(pid, NULL, 0) != pid) die("waitpid");
  return mono_ns() - t0;
}

static void *thread_body(void *p) { return p; }

static double thread_sample(void *p) {
  (void)p;
  pthread_t t;
  double t0 = mono_ns();
  if (pthread_create(&t, NULL, thread_body, NULL) != 0) die("pthread_create");
  pthread_join(t, NULL);
  return mono_ns() - t0;
}

static int probe_spawn(void) {
  measure_pair("spawn", "ns", "fork+exit+wait", fork_sample, "pthread_create+join", thread_sample);
  return 0;
}

/* ---- a temporary test file ------------------------------------------------ */

static char file_path[4096];

static int make_file(size_t bytes) {
  snprintf(file_path, sizeof file_path, "%s/.iosim-probe-XXXXXX", dir);
  int fd = mkstemp(file_path);
  if (fd < 0) die("mkstemp");
  size_t chunk = 1 << 20;
  char *buf = malloc(chunk);
  for (size_t i = 0; i < chunk; i++) buf[i] = (char)(i * 131 + 7);
  for (size_t done = 0; done < bytes; done += chunk) {
    size_t n = bytes - done < chunk ? bytes - done : chunk;
    if (write(fd, buf, n) != (ssize_t)n) die("write test file");
  }
  free(buf);
  /* Clean pages: posix_fadvise(DONTNEED) can then drop them. */
  if (fsync(fd) != 0) die("fsync test file");
  return fd;
}

static void warm(int fd) {
  char *buf = malloc(1 << 20);
  for (off_t off = 0; pread(fd, buf, 1 << 20, off) > 0; off += 1 << 20) {
  }
  free(buf);
}

/* Returns the probe's name for a file of *bytes* ("16MiB", "300B"), in *out* of *n* bytes. */
static const char *size_name(char *out, size_t n, size_t bytes) {
  if (bytes % (1 << 20) == 0) snprintf(out, n, "%zuMiB", bytes >> 20);
  else snprintf(out, n, "%zuB", bytes);
  return out;
}

/* ---- a copy out of a warm file's pages ------------------------------------- */

/*
 * The whole warm file copied out of its page-cache pages, page by page with rep movsb as copy_page_to_iter() copies
 * them (copy_page_as_kernel), into one 64 KiB buffer (a reader's), pass after pass as a transfer sends the file again:
 * a file that fits in the caches is still there from the last pass, a larger one streams from memory. The pages are
 * reached through a populated shared mapping of the file (the page-cache pages themselves, 4 KiB PTEs); the model's
 * memory.pageCacheCopyCurve takes one point per file size.
 */
static struct page_copy_ctx {
  const char *map;
  char *buf;
} page_copy_ctx;

static double page_copy_sample(void *ctx) {
  (void)ctx;
  size_t chunk = 64 << 10;
  double t0 = mono_ns();
  for (size_t off = 0; off < file_bytes; off += chunk)
    for (size_t k = 0; k < chunk && off + k + 4096 <= file_bytes; k += 4096) copy_page_as_kernel(page_copy_ctx.buf + k, page_copy_ctx.map + off + k);
  return (double)file_bytes / (mono_ns() - t0);
}

/* Prints probe/"copy out of the warm file's pages SIZE" for the warm file *fd* of file_bytes. */
static void measure_page_copy(const char *probe, int fd) {
  char kase[96], name[32];
  snprintf(kase, sizeof kase, "copy out of the warm file's pages %s", size_name(name, sizeof name, file_bytes));
  void *m = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) {
    char why[160];
    snprintf(why, sizeof why, "mmap of the test file failed: %s", strerror(errno));
    print_unsupported(probe, kase, "bytes/ns", why);
    return;
  }
  if (posix_memalign((void **)&page_copy_ctx.buf, 4096, 64 << 10)) die("posix_memalign");
  memset(page_copy_ctx.buf, 0, 64 << 10);
  page_copy_ctx.map = m;
  page_copy_sample(NULL);
  measure_runs(probe, kase, "bytes/ns", page_copy_sample);
  munmap(m, file_bytes);
  free(page_copy_ctx.buf);
}

/* ---- file reads ------------------------------------------------------------ */

struct read_ctx {
  int fd;
  char *buf;
  size_t chunk, sample_bytes;
  off_t pos;
  int cold, failed;
};

static double read_sample(void *p) {
  struct read_ctx *c = p;
  if (c->cold) posix_fadvise(c->fd, 0, 0, POSIX_FADV_DONTNEED);
  double t0 = mono_ns();
  for (size_t done = 0; done < c->sample_bytes; done += c->chunk) {
    if (c->pos + (off_t)c->chunk > (off_t)file_bytes) c->pos = 0;
    ssize_t n = pread(c->fd, c->buf, c->chunk, c->pos);
    if (n != (ssize_t)c->chunk) {
      c->failed = n < 0 ? errno : EIO;
      return 0;
    }
    c->pos += c->chunk;
  }
  return (double)c->sample_bytes / (mono_ns() - t0);
}

/* Returns the fraction of the file's pages in memory. */
static double resident(int fd) {
  long page = sysconf(_SC_PAGESIZE);
  void *m = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return -1;
  size_t pages = (file_bytes + page - 1) / page, in = 0;
  unsigned char *vec = malloc(pages);
  if (mincore(m, file_bytes, vec) == 0)
    for (size_t i = 0; i < pages; i++) in += vec[i] & 1;
  free(vec);
  munmap(m, file_bytes);
  return (double)in / pages;
}

static int probe_fileread(void) {
  static const size_t chunks[] = {4096, 64 << 10, 1 << 20};
  static const char *names[] = {"4KiB", "64KiB", "1MiB"};
  int fd = make_file(file_bytes);
  int dfd = open(file_path, O_RDONLY | O_DIRECT);
  int direct_errno = dfd < 0 ? errno : 0;
  /* Gone from the folder at once: an interrupted probe leaves no file behind. */
  unlink(file_path);
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0) printf("{\"info\":{\"fileSystemMagic\":\"0x%lx\",\"fileBytes\":%zu}}\n", (unsigned long)fs.f_type, file_bytes);
  char *buf;
  if (posix_memalign((void **)&buf, 4096, 1 << 20)) die("posix_memalign");
  /* The copy read(2) makes out of this file's pages, on its own. */
  warm(fd);
  measure_page_copy("fileread", fd);
  /* Does DONTNEED drop the pages here? Not on tmpfs, whose pages are the file. */
  warm(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  int can_drop = resident(fd) < 0.5;
  for (int k = 0; k < 3; k++) {
    char kase[64];
    size_t sample = 4 << 20;
    if (sample > file_bytes) sample = file_bytes;
    if (sample < chunks[k]) sample = chunks[k];
    /* Buffered, warm. */
    warm(fd);
    struct read_ctx c = {fd, buf, chunks[k], sample, 0, 0, 0};
    double v[MAX_RUNS];
    total_samples = 0;
    for (int r = 0; r < runs; r++) v[r] = measure(read_sample, &c);
    snprintf(kase, sizeof kase, "buffered warm %s", names[k]);
    print_runs("fileread", kase, "bytes/ns", v, runs, total_samples);
    /* Buffered, cold: the pages dropped before every sample. */
    snprintf(kase, sizeof kase, "buffered cold %s", names[k]);
    if (!can_drop) print_unsupported("fileread", kase, "bytes/ns", "posix_fadvise(DONTNEED) does not drop this file system's pages (tmpfs?)");
    else {
      struct read_ctx cc = {fd, buf, chunks[k], sample, 0, 1, 0};
      total_samples = 0;
      for (int r = 0; r < runs; r++) v[r] = measure(read_sample, &cc);
      print_runs("fileread", kase, "bytes/ns", v, runs, total_samples);
    }
    /* Direct: no page cache; fewer bytes per sample at 4 KiB, each read goes to the device. */
    snprintf(kase, sizeof kase, "direct %s", names[k]);
    if (dfd < 0) {
      char why[160];
      snprintf(why, sizeof why, "O_DIRECT not supported on this file system (open: %s)", strerror(direct_errno));
      print_unsupported("fileread", kase, "bytes/ns", why);
      continue;
    }
    size_t dsample = chunks[k] * 64 < sample ? chunks[k] * 64 : sample;
    struct read_ctx dc = {dfd, buf, chunks[k], dsample, 0, 0, 0};
    total_samples = 0;
    for (int r = 0; r < runs && !dc.failed; r++) v[r] = measure(read_sample, &dc);
    if (dc.failed) {
      char why[160];
      snprintf(why, sizeof why, "O_DIRECT not supported on this file system (pread: %s)", strerror(dc.failed));
      print_unsupported("fileread", kase, "bytes/ns", why);
    } else print_runs("fileread", kase, "bytes/ns", v, runs, total_samples);
  }
  if (dfd >= 0) close(dfd);
  close(fd);
  return 0;
}

/* ---- a mapping of a warm file: faults, TLB misses, munmap ------------------ */

/*
 * One sample maps the whole warm file four ways and returns, per page:
 * [0] touching a fresh mapping one byte per page (page faults with
 * fault-around, and each page's first TLB miss), [1] mmap with
 * MAP_POPULATE (the kernel maps every page without a trap), [2] touching
 * the populated mapping once per page (TLB misses only), [3] munmap of it.
 */
static void mapping_sample(int fd, size_t pages, long page, double out[4]) {
  volatile char sink = 0;
  char *m = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) die("mmap");
  double t0 = mono_ns();
  for (size_t i = 0; i < pages; i++) sink += m[i * page];
  out[0] = (mono_ns() - t0) / pages;
  munmap(m, file_bytes);
  t0 = mono_ns();
  m = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) die("mmap MAP_POPULATE");
  double t1 = mono_ns();
  for (size_t i = 0; i < pages; i++) sink += m[i * page];
  double t2 = mono_ns();
  munmap(m, file_bytes);
  double t3 = mono_ns();
  out[1] = (t1 - t0) / pages;
  out[2] = (t2 - t1) / pages;
  out[3] = (t3 - t2) / pages;
  (void)sink;
}

/* The warm file and /dev/null for splice_sample. */
static struct splice_ctx {
  int fd, nul;
  size_t pages;
} splice_ctx;

/* One sendfile(2) of the whole warm file to /dev/null: its thread CPU time per page. */
static double splice_sample(void *ctx) {
  (void)ctx;
  off_t off = 0;
  double c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  while ((size_t)off < file_bytes)
    if (sendfile(splice_ctx.nul, splice_ctx.fd, &off, file_bytes - off) <= 0) die("sendfile to /dev/null");
  return (cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / splice_ctx.pages;
}

static int probe_mmap(void) {
  static const char *names[] = {"touch a new mapping, per page", "MAP_POPULATE, per page", "touch a populated mapping, per page", "munmap, per page"};
  long page = sysconf(_SC_PAGESIZE);
  int fd = make_file(file_bytes);
  unlink(file_path);
  warm(fd);
  size_t pages = file_bytes / page;
  double v[4][MAX_RUNS], s[4][4096]; /* samples of one run: each maps the whole file, so a run has few */
  long samples = 0;
  for (int r = 0; r < runs; r++) {
    int n = 0;
    double start = mono_ns();
    while (n < 4096 && (n < 3 || mono_ns() - start < run_ms * 1e6)) {
      double out[4];
      mapping_sample(fd, pages, page, out);
      for (int k = 0; k < 4; k++) s[k][n] = out[k];
      n++;
    }
    for (int k = 0; k < 4; k++) v[k][r] = median(s[k], n);
    samples += n;
  }
  for (int k = 0; k < 4; k++) print_runs("mmap", names[k], "ns", v[k], runs, samples);
  /*
   * sendfile(2) of the same warm file to /dev/null, the whole file per sample: what sendfile pays per page on the page
   * cache's side with no socket behind it. filemap_splice_read() looks the folios up in batches and puts each into a
   * pipe buffer with a reference, and the null device's splice_write drops them (splice_write_null(), drivers/char/mem.c):
   * no copy. Linux 2.6.33 and later take a non-socket as sendfile's output.
   */
  int nul = open("/dev/null", O_WRONLY);
  off_t probe_off = 0;
  if (nul < 0 || sendfile(nul, fd, &probe_off, page) != page) {
    print_unsupported("splice", "sendfile to /dev/null, per page", "ns", nul < 0 ? "cannot open /dev/null" : "sendfile(2) to /dev/null failed (Linux before 2.6.33?)");
  } else {
    splice_ctx = (struct splice_ctx){fd, nul, pages};
    measure_runs("splice", "sendfile to /dev/null, per page", "ns", splice_sample);
  }
  if (nul >= 0) close(nul);
  close(fd);
  return 0;
}

/* ---- loopback TCP: read+write, mmap+write, sendfile ----------------------- */

struct rx_result {
  double cpu_ns, end_ns, bytes;
  /*
   * The mechanism's counts, read by the reader after end of file: data segments received and ACKs sent (tcpi_segs_in
   * and tcpi_segs_out of its socket, Linux 4.2+, less the handshake's SYN and ACK, the SYN-ACK and the FIN's ACK; a FIN
   * on its own segment counts as one data segment more), and the times it blocked in read (voluntary context switches,
   * getrusage(RUSAGE_THREAD)): each a wake-up. NAN where the kernel does not say.
   */
  double segs, acks, sleeps;
  /* Mode 1 only (see reader_mode): the reads that blocked (count, thread CPU, bytes) and those that did not (CPU, bytes). */
  double blocked_reads, blocked_ns, blocked_bytes, free_ns, free_bytes;
};

/*
 * How the reader reads the next connection, sent by the sender on the control pipe before it connects: 0 as a
 * program does (blocking reads of 64 KiB); 1 the same with each read's thread CPU time and voluntary context switches
 * taken around it, to split the reads that blocked (each ended by a wake-up) from those that found data; 2 spinning on
 * non-blocking reads, so it never sleeps and the sender never wakes it.
 */
static int reader_mode = 0;
static int reader_ctl = -1;

static void receiver(int listener, int results, int ctl) {
  char *buf = malloc(64 << 10);
  for (;;) {
    int s = accept(listener, NULL, NULL);
    if (s < 0) _exit(0);
    char mode = 0;
    if (read(ctl, &mode, 1) != 1) _exit(1);
    struct rusage u0, u1;
    getrusage(RUSAGE_THREAD, &u0);
    double c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    double bytes = 0, bn = 0, bns = 0, bbytes = 0, fns = 0, fbytes = 0;
    ssize_t n;
    if (mode == 1)
      for (;;) {
        struct rusage a, b;
        getrusage(RUSAGE_THREAD, &a);
        double t0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
        n = read(s, buf, 64 << 10);
        double t = cpu_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
        getrusage(RUSAGE_THREAD, &b);
        if (n <= 0) break;
        bytes += n;
        if (b.ru_nvcsw > a.ru_nvcsw) {
          bn++;
          bns += t;
          bbytes += n;
        } else {
          fns += t;
          fbytes += n;
        }
      }
    else if (mode == 2)
      while ((n = recv(s, buf, 64 << 10, MSG_DONTWAIT)) != 0) {
        if (n > 0) bytes += n;
        else if (errno != EAGAIN && errno != EWOULDBLOCK) break;
      }
    else
      while ((n = read(s, buf, 64 << 10)) > 0) bytes += n;
    struct rx_result r = {cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0, mono_ns(), bytes, NAN, NAN, NAN, bn, bns, bbytes, fns, fbytes};
    getrusage(RUSAGE_THREAD, &u1);
    r.sleeps = (double)(u1.ru_nvcsw - u0.ru_nvcsw);
    /*
     * glibc's struct tcp_info stops before tcpi_segs_out and tcpi_segs_in, so they are read at their offsets in the
     * kernel's (include/uapi/linux/tcp.h): 8 bytes of __u8 fields, 24 __u32 (tcpi_rto to tcpi_total_retrans), 4 __u64
     * (tcpi_pacing_rate to tcpi_bytes_received): 136 and 140. A kernel that fills less than that leaves them unmeasured.
     */
    unsigned char ti[256];
    socklen_t tl = sizeof ti;
    if (getsockopt(s, IPPROTO_TCP, TCP_INFO, ti, &tl) == 0 && tl >= 144) {
      uint32_t out, in;
      memcpy(&out, ti + 136, 4);
      memcpy(&in, ti + 140, 4);
      r.segs = (double)in - 2;
      r.acks = (double)out - 2;
    }
    close(s);
    if (write(results, &r, sizeof r) != sizeof r) _exit(1);
  }
}

static void write_all(int s, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(s, p, n);
    if (w <= 0) die("write to socket");
    p += w;
    n -= w;
  }
}

/*
 * The congestion control the sender's sockets use: the model's, CUBIC, where this machine lets the probe choose it
 * (tcp_set_congestion_control(), net/ipv4/tcp_cong.c: an algorithm outside net.ipv4.tcp_allowed_congestion_control needs
 * CAP_NET_ADMIN, and one not built in or loaded is ENOENT), else the machine's default. It matters over loopback: BBR
 * paces its sender (bbr_init() sets SK_PACING_NEEDED, net/ipv4/tcp_bbr.c; tcp_write_xmit() then stops at
 * tcp_pacing_check() and an hrtimer sends the rest, net/ipv4/tcp_output.c), which the model does not; on the development
 * VM (default bbr) sendfile's sender CPU was 0.60 ns per byte under BBR and 0.05 under CUBIC, read + write's 1.1 and 0.37.
 */
static const char *tcp_congestion = NULL;

/* Chooses tcp_congestion (CUBIC if a socket accepts it) and says which, with the machine's default, as info. */
static void choose_congestion(void) {
  char dflt[32] = "unread";
  FILE *f = fopen("/proc/sys/net/ipv4/tcp_congestion_control", "r");
  if (f) {
    if (fscanf(f, "%31s", dflt) != 1) strcpy(dflt, "unread");
    fclose(f);
  }
  int s = socket(AF_INET, SOCK_STREAM, 0);
  if (s >= 0 && setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5) == 0) tcp_congestion = "cubic";
  int err = errno;
  if (s >= 0) close(s);
  if (tcp_congestion)
    printf("{\"info\":{\"tcpCongestion\":\"cubic\",\"tcpCongestionDefault\":\"%s\"}}\n", dflt);
  else
    printf("{\"info\":{\"tcpCongestion\":\"%s\",\"tcpCongestionDefault\":\"%s\",\"tcpCongestionWhy\":\"setting cubic failed: %s\"}}\n", dflt, dflt, strerror(err));
}

/* The reader's result of the last transfer send_once made. */
static struct rx_result last_rx;

/* Sends the file by method m; returns sender CPU ns, and elapsed, receiver CPU and the counts through the pointers. */
static double send_once(int m, int fd, struct sockaddr_in *addr, int results, double *elapsed, double *rx_cpu, double counts[3]) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  /* Before connect: the send buffer is sized at establishment by the congestion control's sndbuf_expand. */
  if (s >= 0 && tcp_congestion && setsockopt(s, IPPROTO_TCP, TCP_CONGESTION, tcp_congestion, strlen(tcp_congestion)) != 0) die("setsockopt TCP_CONGESTION");
  char mode = (char)reader_mode;
  if (write(reader_ctl, &mode, 1) != 1) die("reader control pipe");
  if (s < 0 || connect(s, (struct sockaddr *)addr, sizeof *addr) != 0) die("connect");
  static char *buf;
  if (!buf) buf = malloc(64 << 10);
  double t0 = mono_ns(), c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  if (m == 0) {
    /* read + write, 64 KiB buffer. */
    off_t off = 0;
    ssize_t n;
    while ((n = pread(fd, buf, 64 << 10, off)) > 0) {
      write_all(s, buf, n);
      off += n;
    }
  } else if (m == 1) {
    /* mmap + write: one mapping of the whole file, written in one call (the kernel loops). */
    char *p = mmap(NULL, file_bytes, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    write_all(s, p, file_bytes);
    munmap(p, file_bytes);
  } else {
    /* sendfile: one call per file, repeated only if the kernel returns early. */
    off_t off = 0;
    while ((size_t)off < file_bytes)
      if (sendfile(s, fd, &off, file_bytes - off) <= 0) die("sendfile");
  }
  double c1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
  close(s);
  struct rx_result r;
  if (read(results, &r, sizeof r) != sizeof r) die("receiver result");
  last_rx = r;
  if (r.bytes != (double)file_bytes) {
    errno = EIO;
    die("receiver got a short transfer");
  }
  *elapsed = r.end_ns - t0;
  *rx_cpu = r.cpu_ns;
  counts[0] = r.segs;
  counts[1] = r.acks;
  counts[2] = r.sleeps;
  return c1 - c0;
}

static int probe_tcp(void) {
  static const char *names[] = {"read+write", "mmap+write", "sendfile"};
  int fd = make_file(file_bytes);
  unlink(file_path);
  warm(fd);
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
  socklen_t len = sizeof addr;
  if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 8) || getsockname(listener, (struct sockaddr *)&addr, &len))
    die("listen on loopback");
  int res[2], ctl[2];
  if (pipe(res) || pipe(ctl)) die("pipe");
  reader_ctl = ctl[1];
  /*
   * The sender on one CPU, the reader on another, as the model runs them. Left to the scheduler, the reader is woken
   * onto the sender's CPU at first (wake-affine) and moved away later by load balancing, and which one happens decides
   * whose CPU time the protocol's receive work and the wake-ups are: a short transfer measured one way, a long one the
   * other (on the development VM read + write's sender CPU was 0.15 ns per byte sharing a CPU, 0.85 apart).
   */
  cpu_set_t mine, tx_cpu, rx_cpu;
  int first = -1, second = -1;
  if (sched_getaffinity(0, sizeof mine, &mine) == 0)
    for (int c = 0; c < CPU_SETSIZE && second < 0; c++)
      if (CPU_ISSET(c, &mine)) {
        if (first < 0) first = c;
        else second = c;
      }
  if (second >= 0) {
    CPU_ZERO(&tx_cpu);
    CPU_SET(first, &tx_cpu);
    CPU_ZERO(&rx_cpu);
    CPU_SET(second, &rx_cpu);
    printf("{\"info\":{\"tcpCpus\":\"sender %d, reader %d\"}}\n", first, second);
  } else printf("{\"info\":{\"tcpCpus\":\"one CPU: sender and reader share it\"}}\n");
  choose_congestion();
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    /* Dies with the sender, even if that is killed at its time limit. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(res[0]);
    close(ctl[1]);
    if (second >= 0 && sched_setaffinity(0, sizeof rx_cpu, &rx_cpu) != 0) _exit(1);
    receiver(listener, res[1], ctl[0]);
  }
  cpu_set_t before;
  int restore = second >= 0 && sched_getaffinity(0, sizeof before, &before) == 0;
  if (second >= 0 && sched_setaffinity(0, sizeof tx_cpu, &tx_cpu) != 0) die("sched_setaffinity");
  close(res[1]);
  close(ctl[0]);
  close(listener);
  double tx[3][MAX_RUNS], rx[3][MAX_RUNS], el[3][MAX_RUNS], cnt[3][3][MAX_RUNS];
  long sent[3] = {0, 0, 0};
  /* Transfers per run: as many as fit in run_ms (at least 1), the run keeps their medians. */
  for (int r = 0; r < runs; r++) {
    for (int m = 0; m < 3; m++) {
      double a[64], b[64], c[64], k[3][64];
      int n = 0;
      double start = mono_ns();
      do {
        double counts[3];
        a[n] = send_once(m, fd, &addr, res[0], &b[n], &c[n], counts);
        for (int q = 0; q < 3; q++) k[q][n] = counts[q];
        n++;
      } while (n < 64 && mono_ns() - start < run_ms * 1e6 / 3);
      tx[m][r] = median(a, n);
      el[m][r] = median(b, n);
      rx[m][r] = median(c, n);
      for (int q = 0; q < 3; q++) cnt[m][q][r] = median(k[q], n);
      sent[m] += n;
    }
  }
  /*
   * What a wake-up costs inside a loopback transfer, read + write, each run: the reader's side as a blocking read's
   * thread CPU beyond a read that found data, per byte of each (reader mode 1); the sender's side as its CPU with that
   * reader less its CPU with a reader that spins on non-blocking reads and never sleeps (mode 2), per sleep of the
   * first. On the development VM both were a third to a half of what the pipe probe's idle wake-up costs each side
   * (the reader 4-5 us a sleep against 14, the sender 5-7 us against 17 at 256 MiB and 1 GiB, 2026-12-03 under CUBIC).
   */
  double wake_rx[MAX_RUNS], wake_tx[MAX_RUNS];
  long wake_sent = 0;
  for (int r = 0; r < runs; r++) {
    double rxs[64], txs[64];
    int n = 0;
    double start = mono_ns();
    do {
      double el_ns, rx_ns, counts[3];
      reader_mode = 1;
      double blocking = send_once(0, fd, &addr, res[0], &el_ns, &rx_ns, counts);
      struct rx_result b = last_rx;
      reader_mode = 2;
      double spinning = send_once(0, fd, &addr, res[0], &el_ns, &rx_ns, counts);
      reader_mode = 0;
      rxs[n] = b.blocked_reads > 0 && b.free_bytes > 0 ? (b.blocked_ns - b.blocked_bytes * b.free_ns / b.free_bytes) / b.blocked_reads : NAN;
      txs[n] = b.sleeps > 0 ? (blocking - spinning) / b.sleeps : NAN;
      n++;
    } while (n < 64 && mono_ns() - start < run_ms * 1e6 / 3);
    wake_rx[r] = median(rxs, n);
    wake_tx[r] = median(txs, n);
    wake_sent += 2 * n;
  }
  kill(child, SIGTERM);
  waitpid(child, NULL, 0);
  if (restore) sched_setaffinity(0, sizeof before, &before);
  /* The file size is part of each case: iosim runs this probe at several sizes. */
  char size_buf[32];
  const char *size = size_name(size_buf, sizeof size_buf, file_bytes);
  for (int m = 0; m < 3; m++) {
    char kase[64];
    snprintf(kase, sizeof kase, "%s sender CPU %s", names[m], size);
    print_runs("tcp", kase, "ns", tx[m], runs, sent[m]);
    snprintf(kase, sizeof kase, "%s receiver CPU %s", names[m], size);
    print_runs("tcp", kase, "ns", rx[m], runs, sent[m]);
    snprintf(kase, sizeof kase, "%s elapsed %s", names[m], size);
    print_runs("tcp", kase, "ns", el[m], runs, sent[m]);
    static const char *counted[] = {"data segments", "ACKs", "reader sleeps"};
    for (int q = 0; q < 3; q++) {
      snprintf(kase, sizeof kase, "%s %s %s", names[m], counted[q], size);
      print_runs("tcp", kase, "count", cnt[m][q], runs, sent[m]);
    }
  }
  {
    char kase[96];
    snprintf(kase, sizeof kase, "read+write wake-up, reader's side %s", size);
    print_runs("tcp", kase, "ns", wake_rx, runs, wake_sent);
    snprintf(kase, sizeof kase, "read+write wake-up, sender's side %s", size);
    print_runs("tcp", kase, "ns", wake_tx, runs, wake_sent);
  }
  /* What the transfers' copies out of this file's pages cost on their own (mmap + write's, the sendfile reader's). */
  measure_page_copy("tcp", fd);
  close(fd);
  return 0;
}

/* ---- select, poll, epoll against the number of fds ----------------------- */

struct mux_ctx {
  int n, maxfd, epfd, calls;
  int *fds;
  fd_set set;
  struct pollfd *pfds;
};

static double select_sample(void *p) {
  struct mux_ctx *c = p;
  double t0 = mono_ns();
  for (int i = 0; i < c->calls; i++) {
    fd_set s = c->set; /* select overwrites its set: a server rebuilds it every call */
    struct timeval zero = {0, 0};
    if (select(c->maxfd + 1, &s, NULL, NULL, &zero) != 1) die("select");
  }
  return (mono_ns() - t0) / c->calls;
}

static double poll_sample(void *p) {
  struct mux_ctx *c = p;
  double t0 = mono_ns();
  for (int i = 0; i < c->calls; i++)
    if (poll(c->pfds, c->n, 0) != 1) die("poll");
  return (mono_ns() - t0) / c->calls;
}

static double epoll_sample(void *p) {
  struct mux_ctx *c = p;
  struct epoll_event ev[64];
  double t0 = mono_ns();
  for (int i = 0; i < c->calls; i++)
    if (epoll_wait(c->epfd, ev, 64, 0) != 1) die("epoll_wait");
  return (mono_ns() - t0) / c->calls;
}

static int probe_multiplex(void) {
  static const int counts[] = {10, 100, 1000};
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  for (int k = 0; k < 3; k++) {
    int n = counts[k];
    char kase[64];
    if ((rlim_t)(2 * n + 16) > rl.rlim_cur) {
      for (int m = 0; m < 3; m++) {
        snprintf(kase, sizeof kase, "%s %d fds", m == 0 ? "select" : m == 1 ? "poll" : "epoll_wait", n);
        print_unsupported("multiplex", kase, "ns/call", "too few file descriptors allowed (ulimit -n)");
      }
      continue;
    }
    struct mux_ctx c = {.n = n, .calls = n >= 1000 ? 50 : n >= 100 ? 200 : 1000};
    c.fds = malloc(n * sizeof(int));
    int *peers = malloc(n * sizeof(int));
    c.pfds = calloc(n, sizeof(struct pollfd));
    /* Reserve low descriptors first, so the watched ends stay below FD_SETSIZE for select. */
    for (int i = 0; i < n; i++)
      if ((c.fds[i] = open("/dev/null", O_RDONLY)) < 0) die("open /dev/null");
    FD_ZERO(&c.set);
    c.epfd = epoll_create1(0);
    for (int i = 0; i < n; i++) {
      int sv[2];
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) die("socketpair");
      if (dup2(sv[0], c.fds[i]) < 0) die("dup2");
      close(sv[0]);
      peers[i] = sv[1];
      FD_SET(c.fds[i], &c.set);
      if (c.fds[i] > c.maxfd) c.maxfd = c.fds[i];
      c.pfds[i].fd = c.fds[i];
      c.pfds[i].events = POLLIN;
      struct epoll_event ev = {.events = EPOLLIN, .data.fd = c.fds[i]};
      if (epoll_ctl(c.epfd, EPOLL_CTL_ADD, c.fds[i], &ev)) die("epoll_ctl");
    }
    /* One ready descriptor, the last: a byte that is never read. */
    if (write(peers[n - 1], "x", 1) != 1) die("write");
    double v[3][MAX_RUNS];
    long s[3] = {0, 0, 0};
    sample_fn fns[3] = {select_sample, poll_sample, epoll_sample};
    for (int r = 0; r < runs; r++)
      for (int m = 0; m < 3; m++) {
        if (m == 0 && c.maxfd >= FD_SETSIZE) continue;
        total_samples = 0;
        v[m][r] = measure(fns[m], &c);
        s[m] += total_samples;
      }
    for (int m = 0; m < 3; m++) {
      snprintf(kase, sizeof kase, "%s %d fds", m == 0 ? "select" : m == 1 ? "poll" : "epoll_wait", n);
      if (m == 0 && c.maxfd >= FD_SETSIZE) print_unsupported("multiplex", kase, "ns/call", "descriptors above FD_SETSIZE");
      else print_runs("multiplex", kase, "ns/call", v[m], runs, s[m]);
    }
    for (int i = 0; i < n; i++) {
      close(c.fds[i]);
      close(peers[i]);
    }
    close(c.epfd);
    free(c.fds);
    free(peers);
    free(c.pfds);
  }
  return 0;
}

/* ---- io_uring: one io_uring_enter for 1 and for 32 NOPs ------------------ */

/*
 * The ring, set up with the raw system calls (no liburing): the submission
 * ring's tail and index array, the SQE array, and the completion ring.
 */
static int ring_fd = -1;
static unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail;
static struct io_uring_sqe *sqes;

#define URING_ENTRIES 64
#define URING_CALLS 200

/* Sets up a ring of URING_ENTRIES; returns 0, or errno when this machine refuses io_uring. */
static int uring_setup(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  ring_fd = (int)syscall(__NR_io_uring_setup, URING_ENTRIES, &p);
  if (ring_fd < 0) return errno;
  size_t sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if ((p.features & IORING_FEAT_SINGLE_MMAP) && cq_len > sq_len) sq_len = cq_len;
  char *sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return errno;
  char *cq = sq;
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
    cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) return errno;
  }
  sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return errno;
  sq_tail = (unsigned *)(sq + p.sq_off.tail);
  sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  sq_array = (unsigned *)(sq + p.sq_off.array);
  cq_head = (unsigned *)(cq + p.cq_off.head);
  cq_tail = (unsigned *)(cq + p.cq_off.tail);
  return 0;
}

/* Queues n NOPs, submits them and waits for their n completions in one io_uring_enter, then reaps them. */
static void uring_nops(unsigned n) {
  unsigned tail = *sq_tail;
  for (unsigned i = 0; i < n; i++, tail++) {
    unsigned idx = tail & *sq_mask;
    memset(&sqes[idx], 0, sizeof sqes[idx]);
    sqes[idx].opcode = IORING_OP_NOP;
    sqes[idx].user_data = i;
    sq_array[idx] = idx;
  }
  __atomic_store_n(sq_tail, tail, __ATOMIC_RELEASE);
  if (syscall(__NR_io_uring_enter, ring_fd, n, n, IORING_ENTER_GETEVENTS, NULL, 0) != (long)n) die("io_uring_enter");
  unsigned head = *cq_head;
  unsigned end = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
  if (end - head != n) {
    errno = EIO;
    die("io_uring completions");
  }
  __atomic_store_n(cq_head, end, __ATOMIC_RELEASE);
}

/* Queues one SQE that the caller fills; returns it. */
static struct io_uring_sqe *uring_sqe(void) {
  unsigned tail = *sq_tail;
  unsigned idx = tail & *sq_mask;
  memset(&sqes[idx], 0, sizeof sqes[idx]);
  sq_array[idx] = idx;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
  return &sqes[idx];
}

/* Reaps every posted completion; returns how many. */
static unsigned uring_reap(void) {
  unsigned head = *cq_head;
  unsigned end = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
  __atomic_store_n(cq_head, end, __ATOMIC_RELEASE);
  return end - head;
}

static int poll_pipe[2];

/*
 * One round on an empty pipe: submit (a poll of its read end, or a NOP),
 * make it readable, wait for the completion, drain it. The two rounds differ
 * only in the poll: armed on submission (the pipe is not ready) and fired by
 * the write's wake-up, against a NOP completed at once.
 */
static void uring_poll_round(int poll) {
  char b = 0;
  struct io_uring_sqe *sqe = uring_sqe();
  if (poll) {
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = poll_pipe[0];
    sqe->poll32_events = POLLIN;
  } else sqe->opcode = IORING_OP_NOP;
  if (syscall(__NR_io_uring_enter, ring_fd, 1, 0, 0, NULL, 0) != 1) die("io_uring_enter submit");
  if (write(poll_pipe[1], &b, 1) != 1) die("pipe write");
  if (syscall(__NR_io_uring_enter, ring_fd, 0, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) die("io_uring_enter wait");
  if (uring_reap() != 1) {
    errno = EIO;
    die("io_uring poll completion");
  }
  if (read(poll_pipe[0], &b, 1) != 1) die("pipe read");
}

static double uring_poll_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < URING_CALLS; i++) uring_poll_round(1);
  return (mono_ns() - t0) / URING_CALLS;
}

static double uring_nop_round_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < URING_CALLS; i++) uring_poll_round(0);
  return (mono_ns() - t0) / URING_CALLS;
}

static double uring1_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < URING_CALLS; i++) uring_nops(1);
  return (mono_ns() - t0) / URING_CALLS;
}

static double uring32_sample(void *p) {
  (void)p;
  double t0 = mono_ns();
  for (int i = 0; i < URING_CALLS; i++) uring_nops(32);
  return (mono_ns() - t0) / URING_CALLS;
}

static int probe_uring(void) {
  int err = uring_setup();
  if (err) {
    char why[160];
    snprintf(why, sizeof why, "io_uring refused here (%s; kernel.io_uring_disabled or a seccomp filter?)", strerror(err));
    print_unsupported("uring", "enter with 1 nop", "ns/call", why);
    print_unsupported("uring", "enter with 32 nops", "ns/call", why);
    print_unsupported("uring", "poll round", "ns", why);
    print_unsupported("uring", "nop round", "ns", why);
    return 0;
  }
  measure_pair("uring", "ns/call", "enter with 1 nop", uring1_sample, "enter with 32 nops", uring32_sample);
  if (pipe(poll_pipe)) die("pipe");
  measure_pair("uring", "ns", "poll round", uring_poll_sample, "nop round", uring_nop_round_sample);
  close(ring_fd);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: iosim-probe info|memcpy|syscall|taskswitch|spawn|fileread|mmap|tcp|multiplex|uring <runs> <runMs> [dir] [fileBytes]\n");
    return 2;
  }
  runs = atoi(argv[2]);
  if (runs < 1) runs = 1;
  if (runs > MAX_RUNS) runs = MAX_RUNS;
  run_ms = atof(argv[3]);
  if (argc > 4) dir = argv[4];
  if (argc > 5) file_bytes = strtoull(argv[5], NULL, 10);
  /* A receiver that died must not kill the sender with SIGPIPE: write fails instead. */
  signal(SIGPIPE, SIG_IGN);
  const char *p = argv[1];
  if (!strcmp(p, "info")) return probe_info();
  if (!strcmp(p, "memcpy")) return probe_memcpy();
  if (!strcmp(p, "syscall")) return probe_syscall();
  if (!strcmp(p, "taskswitch")) return probe_taskswitch();
  if (!strcmp(p, "spawn")) return probe_spawn();
  if (!strcmp(p, "fileread")) return probe_fileread();
  if (!strcmp(p, "mmap")) return probe_mmap();
  if (!strcmp(p, "tcp")) return probe_tcp();
  if (!strcmp(p, "multiplex")) return probe_multiplex();
  if (!strcmp(p, "uring")) return probe_uring();
  fprintf(stderr, "iosim-probe: unknown probe %s\n", p);
  return 2;
}
