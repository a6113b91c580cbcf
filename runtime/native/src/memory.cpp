// How much native heap the process holds, for memory estimates made by measuring (the harness runs
// one small forward pass and scales what it allocated). glibc's mallinfo2 counts every arena:
// uordblks is the bytes in use from the arenas, hblkhd the bytes of chunks served by mmap (large
// tensors), so their sum is what libtorch's CPU allocator holds through malloc right now.
#include "common.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

LQ_API int64_t lq_heap_bytes() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
#else
  return -1;  // unknown on this C library
#endif
}

// glibc's default heap policy hands memory back to the system as soon as the top of the heap is
// 128 kB free, and maps every block above a threshold that starts at 128 kB afresh. A training step
// frees and reallocates the same tensors every time, so by default it pays page faults for memory it
// had a moment ago (8 % of a dopri5 solve's time was the kernel's). Keeping up to 256 MB free at the
// top of the heap, and serving blocks up to 32 MB (glibc's largest threshold) from it, turns those
// into reuse. It is set once, when the library loads, unless the user tuned malloc through
// GLIBC_TUNABLES, whose choice stands.
namespace {
[[maybe_unused]] const bool heap_policy_set = [] {
#if defined(__GLIBC__)
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return false;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
  return true;
#else
  return false;
#endif
}();
}  // namespace
