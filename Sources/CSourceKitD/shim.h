// The types of sourcekitd's C API that Swift cannot spell itself: `sourcekitd_variant_t` is a
// 24-byte struct passed and returned by value. The functions are looked up with dlsym
// (SourceKitCompletion/SourceKitD.swift), so the library is optional and nothing links it.
#include <stdint.h>

typedef struct sourcekitd_uid_s *sourcekitd_uid_t;
typedef void *sourcekitd_object_t;
typedef void *sourcekitd_response_t;
typedef struct {
  uint64_t data[3];
} sourcekitd_variant_t;
