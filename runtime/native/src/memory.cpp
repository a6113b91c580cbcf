// How much native heap the process holds, for memory estimates made by measuring (the harness runs
// one small forward pass and scales what it allocated). glibc's mallinfo2 counts every arena:
// uordblks is the bytes in use from the arenas, hblkhd the bytes of chunks served by mmap (large
// tensors), so their sum is what libtorch's CPU allocator holds through malloc right now.
#include "common.h"

#include <malloc.h>

LQ_API int64_t lq_heap_bytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
#else
  return -1;  // unknown on this C library
#endif
}
