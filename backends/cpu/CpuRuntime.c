/* Threads and temporaries for vibeec CPU kernels (docs/performance.md, docs/abi.md).
 *
 * Generated code runs a threaded op as
 *   vibee_cpu_parallel_for(body, context, work, extent, chunk, max_threads, balanced)
 * which calls body(lo, hi, context) on ranges of [0, extent): on the threads of an
 * OpenMP team when vibee_cpu_parallel_enter grants more than one, else once on the
 * whole range. The grant is 1 when the work is small (< VIBEE_CPU_MIN_PARALLEL_WORK
 * elements), when another kernel call in this process already holds the threads
 * (host calling kernels from several threads: no oversubscription, the later
 * callers run serially on their own thread), when called from inside an OpenMP
 * parallel region, or when libomp is not loaded. The team is LLVM's libomp, found
 * in the process (__kmpc_fork_call); this file itself needs no OpenMP compiler flag.
 *
 * Threads: VIBEE_NUM_THREADS, else OMP_NUM_THREADS, else the online CPUs.
 * In libvibee_runtime.so for the JIT; AOT objects reference these symbols
 * weakly and run serially unless this file and libomp are linked in.
 *
 * Kernels also allocate their temporaries through vibee_cpu_temp_alloc/_free
 * when this file is linked (vibee-cpu-cache-temporaries; aligned_alloc and free
 * otherwise): below. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define VIBEE_CPU_MIN_PARALLEL_WORK 65536

static atomic_int vibee_cpu_busy;

static long vibee_cpu_threads(void) {
  const char *s = getenv("VIBEE_NUM_THREADS");
  if (!s || !*s)
    s = getenv("OMP_NUM_THREADS");
  long n = s && *s ? strtol(s, 0, 10) : 0;
  if (n <= 0)
    n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n;
}

typedef void (*vibee_set_threads_fn)(int);
typedef int (*vibee_in_parallel_fn)(void);
typedef int (*vibee_thread_num_fn)(void);

/* libomp's source location record (ident_t; flags 2: KMP_IDENT_KMPC). */
struct vibee_omp_ident {
  int32_t reserved_1, flags, reserved_2, reserved_3;
  const char *psource;
};
typedef void (*vibee_microtask_fn)(int32_t *, int32_t *, ...);
typedef void (*vibee_fork_call_fn)(struct vibee_omp_ident *, int32_t, vibee_microtask_fn, ...);

/* What the threaded path calls in libomp, resolved once. */
static vibee_fork_call_fn vibee_omp_fork_call;
static vibee_thread_num_fn vibee_omp_thread_num;
static vibee_thread_num_fn vibee_omp_num_threads;

/* The OpenMP runtime the generated code calls (__kmpc_*: LLVM's libomp), and
 * its omp_set_num_threads -- not another runtime's (a process may also hold
 * libgomp, e.g. with PyTorch, whose omp_* would not steer libomp's teams). */
static int vibee_cpu_resolve(vibee_set_threads_fn *set, vibee_in_parallel_fn *inpar) {
  void *fork = dlsym(RTLD_DEFAULT, "__kmpc_fork_call");
  Dl_info info;
  if (!fork || !dladdr(fork, &info) || !info.dli_fname)
    return 0;
  void *omp = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!omp)
    return 0;
  *set = (vibee_set_threads_fn)dlsym(omp, "omp_set_num_threads");
  *inpar = (vibee_in_parallel_fn)dlsym(omp, "omp_in_parallel");
  vibee_omp_fork_call = (vibee_fork_call_fn)fork;
  vibee_omp_thread_num = (vibee_thread_num_fn)dlsym(omp, "omp_get_thread_num");
  vibee_omp_num_threads = (vibee_thread_num_fn)dlsym(omp, "omp_get_num_threads");
  return *set && vibee_omp_thread_num && vibee_omp_num_threads;
}

/* max: the kernel's own limit (a `threads(n)` schedule hint), applied on top. */
int64_t vibee_cpu_parallel_enter_max(int64_t work, int64_t max) {
  static _Atomic(vibee_set_threads_fn) set_threads;
  static _Atomic(vibee_in_parallel_fn) in_parallel;
  vibee_set_threads_fn set = atomic_load(&set_threads);
  if (!set) {
    vibee_in_parallel_fn inpar = 0;
    if (!vibee_cpu_resolve(&set, &inpar))
      return 1;
    atomic_store(&in_parallel, inpar);
    atomic_store(&set_threads, set);
  }
  long n = work < VIBEE_CPU_MIN_PARALLEL_WORK ? 1 : vibee_cpu_threads();
  if (max >= 1 && n > max)
    n = (long)max;
  vibee_in_parallel_fn inpar = atomic_load(&in_parallel);
  if (n > 1 && inpar && inpar())
    n = 1;
  int expected = 0;
  if (n > 1 && !atomic_compare_exchange_strong(&vibee_cpu_busy, &expected, 1))
    n = 1;
  set((int)n); /* this thread's next parallel region */
  return n;
}

int64_t vibee_cpu_parallel_enter(int64_t work) {
  return vibee_cpu_parallel_enter_max(work, INT64_MAX);
}

void vibee_cpu_parallel_exit(int64_t n) {
  if (n > 1)
    atomic_store(&vibee_cpu_busy, 0);
}

/* One threaded op: parts [0, parts) of [0, extent), each `chunk` long (the last
 * one shorter), or, with chunk 0, one range per granted thread. */
struct vibee_cpu_task {
  void (*body)(int64_t, int64_t, void *);
  void *context;
  int64_t extent, chunk, parts;
};

/* Part p of `parts` equal ranges (no chunk): as the serial split of the extent. */
static void vibee_cpu_run_part(const struct vibee_cpu_task *t, int64_t p) {
  int64_t lo = (int64_t)((uint64_t)p * (uint64_t)t->extent / (uint64_t)t->parts);
  int64_t hi = (int64_t)((uint64_t)(p + 1) * (uint64_t)t->extent / (uint64_t)t->parts);
  if (lo < hi)
    t->body(lo, hi, t->context);
}

/* Each thread of the team takes a block of consecutive parts (a static schedule):
 * the team may hold fewer threads than granted, never more parts. Chunks: one
 * call on the block's whole range, as the serial call takes all of them (a
 * chunk function's setup, such as a matmul's packed panel, then runs once per
 * thread, not once per chunk). */
static void vibee_cpu_team_member(int32_t *gtid, int32_t *btid, struct vibee_cpu_task *t) {
  (void)gtid;
  (void)btid;
  int64_t team = vibee_omp_num_threads(), me = vibee_omp_thread_num();
  int64_t first = t->parts * me / team, last = t->parts * (me + 1) / team;
  if (t->chunk > 0) {
    int64_t lo = first * t->chunk, hi = last * t->chunk;
    if (hi > t->extent)
      hi = t->extent;
    if (lo < hi)
      t->body(lo, hi, t->context);
    return;
  }
  for (int64_t p = first; p < last; ++p)
    vibee_cpu_run_part(t, p);
}

void vibee_cpu_parallel_for(void (*body)(int64_t, int64_t, void *), void *context,
                            int64_t work, int64_t extent, int64_t chunk, int64_t max_threads,
                            int64_t balanced) {
  int64_t nt = vibee_cpu_parallel_enter_max(work, max_threads >= 1 ? max_threads : INT64_MAX);
  /* Balanced: a batch of equal items takes a grant only when the threads' shares
   * are within 25 % (5 * extent >= 4 * nt * ceil(extent / nt)); otherwise the
   * threaded ops inside each item take the threads. */
  if (nt > 1 && balanced && extent >= 0 &&
      !(5 * (uint64_t)extent >= 4 * (uint64_t)nt * (((uint64_t)extent + nt - 1) / nt))) {
    vibee_cpu_parallel_exit(nt);
    nt = 1;
  }
  if (nt <= 1) {
    body(0, extent, context);
    return;
  }
  struct vibee_cpu_task task = {body, context, extent, chunk,
                                chunk > 0 ? (extent + chunk - 1) / chunk : nt};
  static struct vibee_omp_ident where = {0, 2, 0, 0, ";unknown;unknown;0;0;;"};
  vibee_omp_fork_call(&where, 1, (vibee_microtask_fn)vibee_cpu_team_member, &task);
  vibee_cpu_parallel_exit(nt);
}

/* Temporaries. glibc serves a block of 128 KiB or more with a fresh mapping and
 * unmaps it on free, so a kernel called in a loop faulted its temporaries in, page
 * by page, on every call. A freed block of at least VIBEE_TEMP_MIN bytes instead
 * stays in its thread's cache (VIBEE_TEMP_SLOTS blocks, VIBEE_TEMP_CAP bytes at
 * most) and serves the next allocation it fits within a factor 2 and the alignment
 * asked; the cache is freed when its thread ends (the main thread's at exit). */
#define VIBEE_TEMP_MIN ((size_t)64 << 10)
#define VIBEE_TEMP_CAP ((size_t)256 << 20)
#define VIBEE_TEMP_SLOTS 8

struct vibee_temp_cache {
  void *block[VIBEE_TEMP_SLOTS];
  size_t size[VIBEE_TEMP_SLOTS];
  size_t total;
};

static pthread_key_t vibee_temp_key;
static pthread_once_t vibee_temp_once = PTHREAD_ONCE_INIT;
static _Thread_local struct vibee_temp_cache *vibee_temp_mine;

static void vibee_temp_release(void *p) {
  struct vibee_temp_cache *c = p;
  for (int i = 0; i < VIBEE_TEMP_SLOTS; ++i)
    free(c->block[i]);
  free(c);
}

static void vibee_temp_release_main(void) {
  if (vibee_temp_mine) {
    pthread_setspecific(vibee_temp_key, 0);
    vibee_temp_release(vibee_temp_mine);
    vibee_temp_mine = 0;
  }
}

static void vibee_temp_init(void) {
  pthread_key_create(&vibee_temp_key, vibee_temp_release);
  atexit(vibee_temp_release_main);
}

static struct vibee_temp_cache *vibee_temp_cache(void) {
  if (!vibee_temp_mine) {
    pthread_once(&vibee_temp_once, vibee_temp_init);
    vibee_temp_mine = calloc(1, sizeof(struct vibee_temp_cache));
    if (vibee_temp_mine)
      pthread_setspecific(vibee_temp_key, vibee_temp_mine);
  }
  return vibee_temp_mine;
}

void *vibee_cpu_temp_alloc(int64_t align, int64_t size) {
  if (align > 0 && size >= 0 && (size_t)size >= VIBEE_TEMP_MIN) {
    struct vibee_temp_cache *c = vibee_temp_cache();
    int best = -1;
    for (int i = 0; c && i < VIBEE_TEMP_SLOTS; ++i)
      if (c->block[i] && c->size[i] >= (size_t)size && c->size[i] / 2 <= (size_t)size &&
          (uintptr_t)c->block[i] % (uintptr_t)align == 0 &&
          (best < 0 || c->size[i] < c->size[best]))
        best = i;
    if (best >= 0) {
      void *p = c->block[best];
      c->total -= c->size[best];
      c->block[best] = 0;
      return p;
    }
  }
  return aligned_alloc((size_t)align, (size_t)size);
}

void vibee_cpu_temp_free(void *p) {
  if (!p)
    return;
  size_t size = malloc_usable_size(p);
  struct vibee_temp_cache *c = size >= VIBEE_TEMP_MIN ? vibee_temp_cache() : 0;
  for (int i = 0; c && c->total + size <= VIBEE_TEMP_CAP && i < VIBEE_TEMP_SLOTS; ++i)
    if (!c->block[i]) {
      c->block[i] = p;
      c->size[i] = size;
      c->total += size;
      return;
    }
  free(p);
}
