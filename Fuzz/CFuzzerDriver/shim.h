#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (in the runtime that -sanitize=fuzzer links): runs the fuzzer with these arguments.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
