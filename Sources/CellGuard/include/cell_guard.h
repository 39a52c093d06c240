#ifndef CELL_GUARD_H
#define CELL_GUARD_H

#include <stddef.h>
#include <stdint.h>

/// How a guarded body ended.
typedef struct {
  /// 0 when the body returned; else the signal that ended it (SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE
  /// for a trap, SIGABRT for an allocation the Swift runtime could not make, SIGUSR1 for a hard
  /// interrupt).
  int signal;
  /// Whether a SIGSEGV hit the guard page below the thread's stack: runaway recursion.
  int stack_overflow;
  /// The faulting instruction, then return addresses up the frame-pointer chain (for SIGABRT, the
  /// return addresses the unwinder found, from the signal handler up).
  uintptr_t frames[64];
  int frame_count;
} cell_guard_result;

/// Installs the handlers (once per process, before the first guarded run). Faults on threads that are
/// not running a guarded body go to the handlers that were there before (the Swift backtracer).
void cell_guard_install(void);

/// Marks [start, end) as cell code: a hard interrupt abandons a body only while it executes there,
/// never inside malloc, a lock or the runtime.
void cell_guard_add_cell_code(uintptr_t start, uintptr_t end);

/// Marks the executable code of the loaded library at `path` as cell code; 0 when it is not loaded.
int cell_guard_add_library(const char *path);

/// The library holding `address` and the offset in it (what a symbolizer needs); 0 when none does.
int cell_guard_locate(uintptr_t address, const char **library, uintptr_t *offset);

/// Runs `body(context)` on a new thread with a stack of `stack_size` bytes and an alternate signal
/// stack, and waits for it. A trap or fault in the body (on that thread) ends the body there instead
/// of the process; what ended it is in `result`.
int cell_guard_run(void (*body)(void *), void *context, size_t stack_size, cell_guard_result *result);

/// Lets any process of the same user attach a debugger to this one (`PR_SET_PTRACER_ANY`): on hosts
/// with Yama's ptrace_scope 1, only an ancestor could otherwise, and lldb-dap is the kernel's child,
/// not the executor's ancestor. Returns prctl's result (-1 with EINVAL where Yama is absent, harmless).
int cell_guard_allow_debugger(void);

#endif
