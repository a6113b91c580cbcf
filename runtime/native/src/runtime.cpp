// Process-wide state: last error per thread, live handle count, threads, seeding, devices.
#include "common.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/csrc/api/include/torch/version.h>

#include <dlfcn.h>

namespace lq {

namespace {
thread_local std::string last_error;

// libtorch symbolizes a C++ backtrace for every c10::Error it constructs (milliseconds each). We
// report what_without_backtrace() only, so the process-wide fetcher is replaced by a no-op: a
// failing op then costs microseconds, like any other call.
const bool quiet_backtraces = [] {
  c10::SetStackTraceFetcher([] { return std::string(); });
  return true;
}();
}

void set_last_error(const std::string& message) { last_error = message; }

std::atomic<int64_t>& live_tensors() {
  static std::atomic<int64_t> count{0};
  return count;
}

}  // namespace lq

LQ_API const char* lq_last_error() { return lq::last_error.c_str(); }

LQ_API int64_t lq_live_tensors() { return lq::live_tensors().load(std::memory_order_relaxed); }

LQ_API const char* lq_torch_version() {
  static const std::string version = std::to_string(TORCH_VERSION_MAJOR) + "." +
                                     std::to_string(TORCH_VERSION_MINOR) + "." +
                                     std::to_string(TORCH_VERSION_PATCH);
  return version.c_str();
}

// OpenBLAS keeps its own thread pool next to OpenMP's; both must follow the setting or the two
// cores are oversubscribed. OpenBLAS is found at run time because libtorch may use another BLAS,
// and it is not in the global symbol scope when .NET dlopen()s us, so the already-loaded BLAS
// libraries are asked by name.
namespace {
using blas_threads_fn = void (*)(int);

blas_threads_fn find_openblas_set_num_threads() {
  if (auto fn = reinterpret_cast<blas_threads_fn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) return fn;
  for (const char* name : {"libblas.so.3", "libopenblas.so.0", "libopenblas.so"}) {
    if (void* library = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) {
      auto fn = reinterpret_cast<blas_threads_fn>(dlsym(library, "openblas_set_num_threads"));
      dlclose(library);  // RTLD_NOLOAD took a reference; the library stays loaded by libtorch
      if (fn) return fn;
    }
  }
  return nullptr;
}
}  // namespace

LQ_API int lq_set_num_threads(int32_t threads) {
  LQ_STATUS({
    if (threads < 1) throw std::invalid_argument("threads must be >= 1, got " + std::to_string(threads));
    at::set_num_threads(threads);
    static const blas_threads_fn openblas = find_openblas_set_num_threads();
    if (openblas) openblas(threads);
  })
}

// 1 when OpenBLAS's thread count is under our control (see lq_set_num_threads).
LQ_API int32_t lq_openblas_threads_controlled() { return find_openblas_set_num_threads() != nullptr ? 1 : 0; }

LQ_API int32_t lq_get_num_threads() { return at::get_num_threads(); }

LQ_API int lq_manual_seed(uint64_t seed) { LQ_STATUS(at::manual_seed(seed)) }

LQ_API int32_t lq_cuda_is_available() {
  try {
    return at::hasCUDA() ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

LQ_API int32_t lq_cuda_device_count() {
  try {
    return at::hasCUDA() ? static_cast<int32_t>(at::getNumGPUs()) : 0;
  } catch (...) {
    return 0;
  }
}

// The CPU generator's state as a uint8 tensor, so a checkpoint can resume dropout and sampling
// exactly where an interrupted run stopped.
LQ_API lq_tensor lq_get_rng_state() { LQ_TENSOR(at::detail::getDefaultCPUGenerator().get_state()) }

LQ_API int lq_set_rng_state(lq_tensor state) {
  LQ_STATUS({
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(lq::ref(state));
  })
}
