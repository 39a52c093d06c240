// Runs a cell on a thread of its own, so that a trap in it ends the cell and not the executor.
//
// A trap (SIGILL/SIGTRAP from a failed check, SIGSEGV/SIGBUS from a bad access or runaway recursion,
// SIGFPE) on that thread jumps back (siglongjmp) to where the thread started the cell, on an alternate
// signal stack so that a stack overflow can be handled too. A hard interrupt is the same jump, taken from
// SIGUSR1 only while the thread executes a cell's own code, never inside malloc, a lock or the runtime.
// Faults on any other thread go to the handlers that were installed before (the Swift backtracer).
//
// One abort is a trap too: the Swift runtime's "failed to allocate N bytes" (an allocation the system
// refused, a user's mistake as Python's MemoryError is). It reaches abort() from swift_slowAlloc after
// malloc returned, with no lock held, and the runtime leaves its message in its fatal-error buffer, which
// tells it from other aborts. Every other abort (a corrupt heap, where malloc may hold its lock) still
// ends the process.
#define _GNU_SOURCE
#include "cell_guard.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>

static const int trap_signals[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT};
enum { trap_signal_count = sizeof(trap_signals) / sizeof(trap_signals[0]) };
static struct sigaction previous[trap_signal_count];

/// Where the guarded thread jumps back to; set only on that thread, while its body runs.
static __thread sigjmp_buf *jump_back;
static __thread cell_guard_result *thread_result;
static __thread uintptr_t stack_low, stack_high;

static pthread_t guarded_thread;
static atomic_int guarded_active;

enum { max_ranges = 8192 };
static uintptr_t range_start[max_ranges], range_end[max_ranges];
static atomic_int range_count;

/// The Swift runtime's record of its last fatal error (`swift_getFatalErrorMessageBuffer`), or NULL.
static _Atomic(const char *) *fatal_message;

static sem_t hard_stop_requested;
// How long the watchdog keeps trying to stop the cell after SIGUSR2.
static const double hard_stop_seconds = 2.5;

static int in_cell_code(uintptr_t pc) {
  int count = atomic_load(&range_count);
  for (int i = 0; i < count; i++) {
    if (pc >= range_start[i] && pc < range_end[i]) return 1;
  }
  return 0;
}

static void record_frames(ucontext_t *context, cell_guard_result *result) {
#if defined(__x86_64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.gregs[REG_RIP];
  uintptr_t fp = (uintptr_t)context->uc_mcontext.gregs[REG_RBP];
#elif defined(__aarch64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.pc;
  uintptr_t fp = (uintptr_t)context->uc_mcontext.regs[29];
#else
  uintptr_t pc = 0, fp = 0;
#endif
  int n = 0;
  result->frames[n++] = pc;
  // Follow the frame pointers while they stay on this thread's stack and go up it.
  while (n < 64 && fp >= stack_low && fp + 2 * sizeof(uintptr_t) <= stack_high && fp % sizeof(uintptr_t) == 0) {
    uintptr_t *frame = (uintptr_t *)fp;
    uintptr_t next = frame[0], ret = frame[1];
    if (ret == 0) break;
    result->frames[n++] = ret;
    if (next <= fp) break;
    fp = next;
  }
  result->frame_count = n;
}

/// Hands a fault to whoever handled it before, by restoring their handler and returning, so the faulting
/// instruction runs again and faults into it. abort() raised its signal once: it is raised again, to be
/// delivered when this handler returns.
static void pass_on(int signal) {
  for (int i = 0; i < trap_signal_count; i++) {
    if (trap_signals[i] == signal) sigaction(signal, &previous[i], NULL);
  }
  if (signal == SIGABRT) raise(SIGABRT);
}

/// Whether this abort is the Swift runtime refusing an allocation; its record is cleared for the next one.
static int allocation_failed(void) {
  if (fatal_message == NULL) return 0;
  const char *message = atomic_load(fatal_message);
  if (message == NULL || strstr(message, "failed to allocate") == NULL) return 0;
  atomic_store(fatal_message, NULL);  // the runtime's copy leaks: a few bytes per failed allocation
  return 1;
}

static void handler(int signal, siginfo_t *info, void *raw_context) {
  if (jump_back == NULL) {
    if (signal == SIGUSR1) return;  // a hard stop that arrived after its cell had ended
    pass_on(signal);  // not a cell's thread
    return;
  }
  if (signal == SIGABRT && !allocation_failed()) {
    pass_on(signal);
    return;
  }
  ucontext_t *context = raw_context;
#if defined(__x86_64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
  uintptr_t pc = (uintptr_t)context->uc_mcontext.pc;
#else
  uintptr_t pc = 0;
#endif
  if (signal == SIGUSR1 && !in_cell_code(pc)) return;  // not a safe place: the watchdog tries again
  cell_guard_result *result = thread_result;
  result->signal = signal;
  if (signal == SIGSEGV || signal == SIGBUS) {
    uintptr_t address = (uintptr_t)info->si_addr;
    result->stack_overflow = address < stack_low + 65536 && address + 16 * 1024 * 1024 >= stack_low;
  }
  if (signal == SIGABRT) {
    // Raised by abort() inside the C library, whose frames keep no frame pointers: unwind with the
    // unwind tables instead (safe here: the abort came from the runtime, outside malloc and any lock).
    void *frames[64];
    int count = backtrace(frames, 64);
    for (int i = 0; i < count; i++) result->frames[i] = (uintptr_t)frames[i];
    result->frame_count = count;
  } else {
    record_frames(context, result);
  }
  sigjmp_buf *target = jump_back;
  jump_back = NULL;
  siglongjmp(*target, signal);
}

static void hard_stop_handler(int signal) {
  (void)signal;
  sem_post(&hard_stop_requested);  // async-signal-safe; the watchdog does the rest
}

static void *watchdog(void *unused) {
  (void)unused;
  for (;;) {
    while (sem_wait(&hard_stop_requested) != 0 && errno == EINTR) {
    }
    long tries = (long)(hard_stop_seconds / 0.005);
    struct timespec pause = {0, 5 * 1000 * 1000};
    for (long i = 0; i < tries && atomic_load(&guarded_active); i++) {
      pthread_kill(guarded_thread, SIGUSR1);
      nanosleep(&pause, NULL);
    }
  }
  return NULL;
}

void cell_guard_install(void) {
  _Atomic(const char *) *(*message_buffer)(void) =
      (_Atomic(const char *) * (*)(void)) dlsym(RTLD_DEFAULT, "swift_getFatalErrorMessageBuffer");
  if (message_buffer != NULL) fatal_message = message_buffer();
  // backtrace() loads its unwinder on first use: load it now, not in a signal handler.
  void *warm[1];
  (void)backtrace(warm, 1);

  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = handler;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < trap_signal_count; i++) sigaction(trap_signals[i], &action, &previous[i]);
  sigaction(SIGUSR1, &action, NULL);

  sem_init(&hard_stop_requested, 0, 0);
  struct sigaction stop;
  memset(&stop, 0, sizeof stop);
  stop.sa_handler = hard_stop_handler;
  stop.sa_flags = SA_RESTART;
  sigemptyset(&stop.sa_mask);
  sigaction(SIGUSR2, &stop, NULL);
  pthread_t thread;
  pthread_create(&thread, NULL, watchdog, NULL);
  pthread_detach(thread);
}

void cell_guard_add_cell_code(uintptr_t start, uintptr_t end) {
  int i = atomic_load(&range_count);
  if (i >= max_ranges) return;
  range_start[i] = start;
  range_end[i] = end;
  atomic_store(&range_count, i + 1);
}

static int add_library_segments(struct dl_phdr_info *info, size_t size, void *path) {
  (void)size;
  if (info->dlpi_name == NULL || strcmp(info->dlpi_name, (const char *)path) != 0) return 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *header = &info->dlpi_phdr[i];
    if (header->p_type == PT_LOAD && (header->p_flags & PF_X)) {
      uintptr_t start = info->dlpi_addr + header->p_vaddr;
      cell_guard_add_cell_code(start, start + header->p_memsz);
    }
  }
  return 1;
}

int cell_guard_add_library(const char *path) { return dl_iterate_phdr(add_library_segments, (void *)path); }

int cell_guard_locate(uintptr_t address, const char **library, uintptr_t *offset) {
  Dl_info info;
  if (dladdr((void *)address, &info) == 0 || info.dli_fname == NULL) return 0;
  *library = info.dli_fname;
  *offset = address - (uintptr_t)info.dli_fbase;
  return 1;
}

typedef struct {
  void (*body)(void *);
  void *context;
  cell_guard_result *result;
} guarded_call;

static void *guarded_thread_main(void *raw) {
  guarded_call *call = raw;
  pthread_attr_t attributes;
  if (pthread_getattr_np(pthread_self(), &attributes) == 0) {
    void *low;
    size_t size;
    pthread_attr_getstack(&attributes, &low, &size);
    stack_low = (uintptr_t)low;
    stack_high = stack_low + size;
    pthread_attr_destroy(&attributes);
  }
  stack_t alternate;
  alternate.ss_size = 256 * 1024;
  alternate.ss_sp = malloc(alternate.ss_size);
  alternate.ss_flags = 0;
  sigaltstack(&alternate, NULL);

  sigjmp_buf here;
  thread_result = call->result;
  if (sigsetjmp(here, 1) == 0) {
    jump_back = &here;
    call->body(call->context);
  }
  jump_back = NULL;
  atomic_store(&guarded_active, 0);

  stack_t none = {.ss_flags = SS_DISABLE};
  sigaltstack(&none, NULL);
  free(alternate.ss_sp);
  return NULL;
}

int cell_guard_run(void (*body)(void *), void *context, size_t stack_size, cell_guard_result *result) {
  memset(result, 0, sizeof *result);
  guarded_call call = {body, context, result};
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, stack_size);
  atomic_store(&guarded_active, 1);
  int status = pthread_create(&guarded_thread, &attributes, guarded_thread_main, &call);
  pthread_attr_destroy(&attributes);
  if (status != 0) {
    atomic_store(&guarded_active, 0);
    return status;
  }
  return pthread_join(guarded_thread, NULL);
}

int cell_guard_allow_debugger(void) {
#ifdef PR_SET_PTRACER
  return prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#else
  return 0;
#endif
}
