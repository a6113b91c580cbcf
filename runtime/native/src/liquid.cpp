// Liquid time-constant cells (ncps's LTC and CfC, ../shared/design/LIQUID-SEMANTICS.md §6):
// the orthogonal initialiser their LSTM needs, and fused kernels, each a torch::autograd::Function
// with a hand-written backward:
//   lq_ltc_sequence  the LTC's ODE over a whole sequence (every step, every unfold);
//   lq_ltc_step      one LTC step with all its unfolds (for mixed memory, where an LSTM runs between steps);
//   lq_cfc_sequence  a CfC (one cell or a wired stack) over a whole sequence.
// Each equals the op-by-op composition in runtime/Liquid.Runtime/Nn/Layers/Liquid (forward and every
// gradient, tested in float64 to 1e-12).
//
// The LTC kernel runs no generic op per unfold: one pass per (block of samples, unfold) over the
// synapse matrices computes σ, the conductance and both sums; the backward pass reads back the state
// entering each unfold, its denominator and, within a memory budget, σ itself (else it recomputes σ),
// and accumulates the synapse gradients in place. The CfC kernel runs its per-step matrix products
// straight through BLAS and the elementwise parts by hand; its weight gradients are a few large
// products after the time loop. Vector code is in liquid_simd.inc, compiled for AVX-512, for
// AVX2+FMA and for baseline x86-64 and chosen at run time.
#include "common.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#pragma GCC diagnostic ignored "-Wpsabi"

namespace lq_liquid {

// Vectors of the kernels' arrays start on a cache line, so no 32-byte load or store of a padded row
// straddles two lines (with malloc's 16-byte alignment every other one would).
template <typename T>
struct CacheAligned {
  using value_type = T;
  CacheAligned() = default;
  template <typename U>
  CacheAligned(const CacheAligned<U>&) {}
  T* allocate(size_t n) {
    void* p = std::aligned_alloc(64, (n * sizeof(T) + 63) / 64 * 64);
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const CacheAligned<U>&) const { return true; }
  template <typename U>
  bool operator!=(const CacheAligned<U>&) const { return false; }
};

template <typename T>
using Buffer = std::vector<T, CacheAligned<T>>;

// Columns are padded to a multiple of 32 bytes, which fits both instruction sets' vector widths.
template <typename T>
int64_t padded_width(int64_t n) {
  constexpr int64_t w = 64 / sizeof(T);  // the widest build's vector
  return (n + w - 1) / w * w;
}

// Everything one LTC call reads, with the matrices' columns padded to a multiple of the vector
// width (padding: zero conductance, so padded targets receive nothing and stay at zero).
template <typename T>
struct LtcPlan {
  int64_t batch = 0, steps = 0, inputs = 0, units = 0, padded = 0, unfolds = 0;
  T epsilon = 0;
  const T* x = nullptr;        // [B, T, S]
  const T* elapsed = nullptr;  // [B, T] or null (Δ = 1)
  const T* h0 = nullptr;       // [B, N]
  // Recurrent synapses [N, padded]: minus_sigma = −σᵢⱼ·log₂e and sigma_mu = σᵢⱼ·μᵢⱼ·log₂e, so the
  // base-2 exponent of e^(−σ(v − μ)) is one fused multiply-add; w = pos(w)⊙mask, erev.
  Buffer<T> minus_sigma, sigma_mu, w, erev;
  // Sensory synapses [S, padded], the same way, and mu for the sensory backward pass.
  Buffer<T> s_minus_sigma, s_sigma_mu, s_w, s_erev, s_mu;
  // When every synapse weight is positive (softplus, no mask): the weight is folded into the
  // exponent, G = W·σ = 1/(1/W + 2^(y − log₂W)), which saves a multiply per synapse; sigma_mu then
  // holds σμ·log₂e − log₂W and w_inverse 1/W (padding: 1 and −100, so padded targets get G ≈ 1
  // from every source, with erev 0, which changes nothing). The tape then holds G instead of σ.
  bool folded = false;
  Buffer<T> w_inverse;
  // Per neuron [padded]: pos(gleak), vleak, gleak·vleak, pos(cm) (1 in the padding).
  Buffer<T> gleak, vleak, gleak_vleak, cm;

  // Per recurrent row i: max over real targets j of |minus_sigma| and |sigma_mu|, so that
  // |exponent| ≤ a_max·|vᵢ| + c_max; padded targets have exponent −100 (folded) or 0.
  Buffer<T> row_a_max, row_c_max;
  bool row_safe(int64_t i, T largest_v) const { return row_a_max[i] * largest_v + row_c_max[i] <= T(99); }

  // Δ/K of sample b at step t, formed as the composition does: elapsed.div(K), or the Python
  // float 1/K cast to T when there are no elapsed times.
  T step_fraction(int64_t b, int64_t t) const {
    return elapsed ? elapsed[b * steps + t] / T(unfolds) : T(1.0 / double(unfolds));
  }
};

// What the forward pass keeps for the backward pass, per (b, t, k): the state entering unfold k
// and the update's denominator (ε included), both [padded].
template <typename T>
struct LtcTape {
  T* v_in = nullptr;         // [B, T, K, padded]
  T* denominator = nullptr;  // [B, T, K, padded]
  T* states = nullptr;       // [B, T, N], the output
  // σ (or, folded, G) of every recurrent synapse when it fits the memory budget (see
  // ltc_sigma_budget), one [B, K, N, padded] block per step; the backward pass then reads it
  // instead of recomputing. Empty: recompute.
  std::vector<T*> sigma;
  T* sigma_at(int64_t t) const { return sigma.empty() ? nullptr : sigma[static_cast<size_t>(t)]; }
};

// Gradients one task accumulates over its batch rows (summed over tasks afterwards).
template <typename T>
struct LtcGrads {
  Buffer<T> w, erev, sigma, mu_sum;          // [N, padded]; mu_sum = Σ dx (dmu = −σ·Σ dx)
  Buffer<T> s_w, s_erev, s_sigma, s_mu_sum;  // [S, padded]
  Buffer<T> gleak, vleak, cm;                // [padded]
  LtcGrads(int64_t n, int64_t s, int64_t padded)
      : w(n * padded), erev(n * padded), sigma(n * padded), mu_sum(n * padded), s_w(s * padded),
        s_erev(s * padded), s_sigma(s * padded), s_mu_sum(s * padded), gleak(padded), vleak(padded), cm(padded) {}
};


// 512-bit vectors: on a core that executes them in two 256-bit halves the arithmetic costs the
// same, but the kernels issue half the instructions and keep their per-sample values in 32
// registers instead of spilling them (the LTC train step: 36 → 27 ms on an AMD EPYC).
namespace avx512 {
#define LQ_VBYTES 64
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f,avx512vl")
// GCC 12's own AVX-512 headers (_mm512_min_ps, _mm512_rcp14_ps: their _mm512_undefined_ps operand)
// trip this warning; nothing of ours is uninitialised.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include "liquid_simd.inc"
#pragma GCC diagnostic pop
#pragma GCC pop_options
#undef LQ_VBYTES
}  // namespace avx512

namespace avx2 {
#define LQ_VBYTES 32
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#include "liquid_simd.inc"
#pragma GCC pop_options
#undef LQ_VBYTES
}  // namespace avx2

namespace generic {
#define LQ_VBYTES 16
#include "liquid_simd.inc"
#undef LQ_VBYTES
}  // namespace generic

// The vector builds: 0 baseline x86-64 (SSE2), 1 AVX2+FMA, 2 AVX-512 (F, VL).
int best_vector_level() {
  static const int level = !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 0
                           : __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") ? 2
                                                                                                  : 1;
  return level;
}

// Lowered (by tests and comparisons) to run a lesser build on a CPU that has a better one.
std::atomic<int> vector_level_cap{2};

int vector_level() { return std::min(best_vector_level(), vector_level_cap.load(std::memory_order_relaxed)); }

// lq_liquid::{avx512, avx2, generic}::CALL for the build in use (an expression of CALL's type).
#define LQ_VECTOR_CALL(...)                                          \
  (::lq_liquid::vector_level() == 2   ? ::lq_liquid::avx512::__VA_ARGS__ \
   : ::lq_liquid::vector_level() == 1 ? ::lq_liquid::avx2::__VA_ARGS__   \
                                      : ::lq_liquid::generic::__VA_ARGS__)

}  // namespace lq_liquid

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// torch.nn.init.orthogonal_: a (rows, cols) Gaussian matrix (transposed when rows < cols) is
// factored Q·R, Q's columns get the signs of R's diagonal (so Q is Haar-distributed), and Q,
// transposed back, is copied into the tensor. Draws the same normals in the same order as PyTorch.
void orthogonal_(at::Tensor& t, double gain) {
  TORCH_CHECK(t.dim() >= 2, "orthogonal_: the tensor needs at least 2 dimensions, got ", t.dim());
  if (t.numel() == 0) return;
  at::NoGradGuard no_grad;
  const int64_t rows = t.size(0), cols = t.numel() / rows;
  auto flat = at::empty({rows, cols}, t.options()).normal_(0, 1);
  if (rows < cols) flat = flat.t();
  auto qr = at::linalg_qr(flat);
  auto q = std::get<0>(qr) * at::diagonal(std::get<1>(qr), 0).sign();
  if (rows < cols) q = q.t();
  t.view_as(q).copy_(q);
  t.mul_(gain);
}

void check_cpu_float(const at::Tensor& t, const char* op, const char* name, at::ScalarType dtype) {
  TORCH_CHECK(t.defined(), op, ": ", name, " is missing");
  TORCH_CHECK(t.device().is_cpu(), op, ": ", name, " must be on the CPU, got ", t.device());
  TORCH_CHECK(t.scalar_type() == dtype, op, ": ", name, " is ", t.scalar_type(), ", expected ", dtype,
              " like the input");
}

void check_shape(const at::Tensor& t, const char* op, const char* name, at::IntArrayRef shape) {
  TORCH_CHECK(t.sizes() == shape, op, ": ", name, " must be ", shape, ", got ", t.sizes());
}

// Rows×cols row-major copy of m into a zero-padded rows×padded buffer, optionally transformed.
template <typename T, typename F>
lq_liquid::Buffer<T> padded_rows(const at::Tensor& m, int64_t padded, F f) {
  const int64_t rows = m.size(0), cols = m.size(1);
  lq_liquid::Buffer<T> out(static_cast<size_t>(rows * padded), T(0));
  auto a = m.accessor<T, 2>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) out[r * padded + c] = f(a[r][c], r, c);
  return out;
}

template <typename T>
lq_liquid::Buffer<T> padded_vector(const at::Tensor& v, int64_t padded, T fill) {
  lq_liquid::Buffer<T> out(static_cast<size_t>(padded), fill);
  auto a = v.accessor<T, 1>();
  for (int64_t j = 0; j < v.size(0); ++j) out[j] = a[j];
  return out;
}

// The LTC's inputs, checked and made contiguous: x [B, T, S], h0 [B, N], elapsed [B, T] or undefined,
// then w, sigma, mu, erev [N, N], sensory w, sigma, mu, erev [S, N], gleak, vleak, cm [N].
struct LtcInputs {
  at::Tensor x, h0, elapsed;
  std::vector<at::Tensor> p;  // 11 parameters
  int64_t unfolds;
  double epsilon;
};

LtcInputs check_ltc(const char* op, const at::Tensor& x, const at::Tensor& h0, const at::Tensor& elapsed,
                    const std::vector<at::Tensor>& parameters, int64_t unfolds, double epsilon) {
  TORCH_CHECK(x.defined() && x.dim() == 3, op, ": input must be [B, T, S], got ",
              x.defined() ? x.sizes() : at::IntArrayRef{});
  const auto dtype = x.scalar_type();
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kDouble, op, ": input must be float32 or float64, got ", dtype);
  TORCH_CHECK(parameters.size() == 11, op, ": expected 11 parameter tensors, got ", parameters.size());
  TORCH_CHECK(unfolds >= 1, op, ": ode_unfolds must be at least 1, got ", unfolds);
  TORCH_CHECK(std::isfinite(epsilon), op, ": epsilon must be finite, got ", epsilon);
  const int64_t B = x.size(0), T = x.size(1), S = x.size(2);
  TORCH_CHECK(B >= 1 && T >= 1 && S >= 1, op, ": input must be non-empty, got ", x.sizes());
  check_cpu_float(x, op, "input", dtype);
  check_cpu_float(h0, op, "initial state", dtype);
  TORCH_CHECK(h0.dim() == 2 && h0.size(0) == B, op, ": initial state must be [", B, ", N], got ", h0.sizes());
  const int64_t N = h0.size(1);
  TORCH_CHECK(N >= 1, op, ": the state needs at least one neuron");
  static const char* names[] = {"w", "sigma", "mu", "erev", "sensory_w", "sensory_sigma", "sensory_mu",
                                "sensory_erev", "gleak", "vleak", "cm"};
  LtcInputs in{x.contiguous(), h0.contiguous(), at::Tensor(), {}, unfolds, epsilon};
  for (size_t k = 0; k < 11; ++k) {
    check_cpu_float(parameters[k], op, names[k], dtype);
    if (k < 4) check_shape(parameters[k], op, names[k], {N, N});
    else if (k < 8) check_shape(parameters[k], op, names[k], {S, N});
    else check_shape(parameters[k], op, names[k], {N});
    in.p.push_back(parameters[k].contiguous());
  }
  if (elapsed.defined()) {
    check_cpu_float(elapsed, op, "elapsed times", dtype);
    check_shape(elapsed, op, "elapsed times", {B, T});
    in.elapsed = elapsed.contiguous();
  }
  return in;
}

template <typename T>
lq_liquid::LtcPlan<T> make_plan(const LtcInputs& in) {
  lq_liquid::LtcPlan<T> P;
  P.batch = in.x.size(0);
  P.steps = in.x.size(1);
  P.inputs = in.x.size(2);
  P.units = in.h0.size(1);
  P.padded = lq_liquid::padded_width<T>(P.units);
  P.unfolds = in.unfolds;
  P.epsilon = static_cast<T>(in.epsilon);
  P.x = in.x.data_ptr<T>();
  P.h0 = in.h0.data_ptr<T>();
  P.elapsed = in.elapsed.defined() ? in.elapsed.data_ptr<T>() : nullptr;
  const auto& p = in.p;
  auto same = [](T v, int64_t, int64_t) { return v; };
  const T log2e = T(1.44269504088896340736);
  auto negated = [&](T v, int64_t, int64_t) { return -v * log2e; };
  const int64_t Np = P.padded;
  P.minus_sigma = padded_rows<T>(p[1], Np, negated);
  {
    auto mu = p[2].accessor<T, 2>();
    P.sigma_mu = padded_rows<T>(p[1], Np, [&](T v, int64_t r, int64_t c) { return v * mu[r][c] * log2e; });
  }
  P.w = padded_rows<T>(p[0], Np, same);
  P.erev = padded_rows<T>(p[3], Np, same);
  P.s_minus_sigma = padded_rows<T>(p[5], Np, negated);
  {
    auto mu = p[6].accessor<T, 2>();
    P.s_sigma_mu = padded_rows<T>(p[5], Np, [&](T v, int64_t r, int64_t c) { return v * mu[r][c] * log2e; });
  }
  P.s_w = padded_rows<T>(p[4], Np, same);
  P.s_erev = padded_rows<T>(p[7], Np, same);
  P.s_mu = padded_rows<T>(p[6], Np, same);
  {
    // Fold when every weight is a positive normal number (the log is then finite and exact enough).
    auto w = p[0].accessor<T, 2>();
    bool positive = true;
    for (int64_t r = 0; r < P.units && positive; ++r)
      for (int64_t c = 0; c < P.units; ++c)
        if (!(w[r][c] >= std::numeric_limits<T>::min() && std::isfinite(w[r][c]))) {
          positive = false;
          break;
        }
    P.folded = positive;
    if (positive) {
      P.w_inverse.assign(static_cast<size_t>(P.units * Np), T(1));
      for (int64_t r = 0; r < P.units; ++r) {
        for (int64_t c = 0; c < Np; ++c) {
          if (c < P.units) {
            P.w_inverse[r * Np + c] = T(1) / w[r][c];
            P.sigma_mu[r * Np + c] -= static_cast<T>(std::log2(static_cast<double>(w[r][c])));
          } else {
            P.sigma_mu[r * Np + c] = T(-100);  // 2^−100 ≈ 0: padded G = 1/(1 + 2^−100)
          }
        }
      }
    }
  }
  P.row_a_max.assign(static_cast<size_t>(P.units), T(0));
  P.row_c_max.assign(static_cast<size_t>(P.units), T(0));
  for (int64_t r = 0; r < P.units; ++r)
    for (int64_t c = 0; c < P.units; ++c) {
      P.row_a_max[r] = std::max(P.row_a_max[r], std::abs(P.minus_sigma[r * Np + c]));
      P.row_c_max[r] = std::max(P.row_c_max[r], std::abs(P.sigma_mu[r * Np + c]));
    }
  P.gleak = padded_vector<T>(p[8], Np, T(0));
  P.vleak = padded_vector<T>(p[9], Np, T(0));
  P.cm = padded_vector<T>(p[10], Np, T(1));
  P.gleak_vleak.assign(static_cast<size_t>(Np), T(0));
  for (int64_t j = 0; j < P.units; ++j) P.gleak_vleak[j] = P.gleak[j] * P.vleak[j];
  return P;
}

// Rows of task k of n over B rows.
inline std::pair<int64_t, int64_t> task_rows(int64_t k, int64_t n, int64_t batch) {
  return {batch * k / n, batch * (k + 1) / n};
}

inline int64_t task_count(int64_t batch) {
  return std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), batch));
}

// Keeping σ of every synapse for the backward pass costs B·T·K·N·N values; it saves recomputing
// an exponential and a reciprocal per synapse there. Above this many bytes the backward pass
// recomputes σ instead, so memory stays linear in N for long sequences and large layers.
std::atomic<int64_t> ltc_sigma_budget{int64_t(512) << 20};
// The tape is split into chunks of whole steps, about this size each.
constexpr int64_t ltc_sigma_chunk = int64_t(8) << 20;

// Freed tape chunks are kept for the next call, up to the budget in total: a fresh allocation of
// this size is mapped and page-faulted in by the kernel every time (glibc returns large blocks to
// the system), which cost about a quarter of an LTC train step. A chunk goes back to the pool when
// its tensor dies, that is when autograd releases the graph, so a retained graph keeps its tape.
class TapePool {
 public:
  static TapePool& instance() {
    static TapePool* pool = new TapePool();  // never destroyed: tensors may outlive static destruction
    return *pool;
  }

  at::Tensor take(int64_t values, const at::TensorOptions& options) {
    const size_t bytes = static_cast<size_t>(values) * options.dtype().itemsize();
    void* block = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t k = 0; k < free_.size(); ++k) {
        if (free_[k].first == bytes) {
          block = free_[k].second;
          free_.erase(free_.begin() + static_cast<std::ptrdiff_t>(k));
          cached_ -= bytes;
          break;
        }
      }
    }
    if (block == nullptr) {
      block = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
      TORCH_CHECK(block != nullptr, "ltc: cannot allocate ", bytes, " bytes for the sigma tape");
    }
    return at::from_blob(block, {values}, [bytes](void* p) { TapePool::instance().give_back(p, bytes); }, options);
  }

 private:
  void give_back(void* block, size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (static_cast<int64_t>(cached_ + bytes) <= ltc_sigma_budget.load()) {
        free_.emplace_back(bytes, block);
        cached_ += bytes;
        return;
      }
    }
    std::free(block);
  }

  std::mutex mutex_;
  std::vector<std::pair<size_t, void*>> free_;
  size_t cached_ = 0;
};

// The σ tape's chunks (empty when over budget).
template <typename T>
std::vector<at::Tensor> ltc_sigma_tape(const at::Tensor& x, int64_t units, int64_t unfolds) {
  const int64_t B = x.size(0), T_ = x.size(1);
  const int64_t step = B * unfolds * units * lq_liquid::padded_width<T>(units);
  if (T_ * step * static_cast<int64_t>(sizeof(T)) > ltc_sigma_budget.load()) return {};
  const int64_t per_chunk = std::max<int64_t>(1, ltc_sigma_chunk / (step * static_cast<int64_t>(sizeof(T))));
  std::vector<at::Tensor> chunks;
  for (int64_t t = 0; t < T_; t += per_chunk) chunks.push_back(TapePool::instance().take(std::min(per_chunk, T_ - t) * step, x.options()));
  return chunks;
}

template <typename T>
std::vector<T*> ltc_sigma_steps(const std::vector<at::Tensor>& chunks, const lq_liquid::LtcPlan<T>& P) {
  std::vector<T*> out;
  const int64_t step = P.batch * P.unfolds * P.units * P.padded;
  for (const auto& chunk : chunks) {
    T* base = const_cast<T*>(chunk.data_ptr<T>());
    for (int64_t k = 0; k < chunk.numel() / step; ++k) out.push_back(base + k * step);
  }
  TORCH_CHECK(chunks.empty() || static_cast<int64_t>(out.size()) == P.steps, "ltc: the sigma tape does not fit the call");
  return out;
}

template <typename T>
void run_ltc_forward(const LtcInputs& in, at::Tensor& states, at::Tensor* v_in, at::Tensor* denominator,
                     const std::vector<at::Tensor>& sigma = {}) {
  const auto P = make_plan<T>(in);
  lq_liquid::LtcTape<T> tape;
  tape.states = states.data_ptr<T>();
  tape.v_in = v_in ? v_in->data_ptr<T>() : nullptr;
  tape.denominator = denominator ? denominator->data_ptr<T>() : nullptr;
  tape.sigma = ltc_sigma_steps<T>(sigma, P);
  const int64_t tasks = task_count(P.batch);
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      auto [b0, b1] = task_rows(k, tasks, P.batch);
      LQ_VECTOR_CALL(ltc_forward<T>(P, tape, b0, b1));
    }
  });
}

// Gradients in the forward's argument order (x, h0, elapsed, then the 11 parameters).
template <typename T>
std::vector<at::Tensor> run_ltc_backward(const LtcInputs& in, const at::Tensor& states, const at::Tensor& v_in,
                                         const at::Tensor& denominator, const std::vector<at::Tensor>& sigma,
                                         const at::Tensor& grad_states) {
  const auto P = make_plan<T>(in);
  lq_liquid::LtcTape<T> tape;
  tape.states = const_cast<T*>(states.data_ptr<T>());
  tape.v_in = const_cast<T*>(v_in.data_ptr<T>());
  tape.denominator = const_cast<T*>(denominator.data_ptr<T>());
  tape.sigma = ltc_sigma_steps<T>(sigma, P);
  const int64_t N = P.units, S = P.inputs, Np = P.padded;
  auto dx = at::empty_like(in.x);
  auto dh0 = at::empty_like(in.h0);
  auto delapsed = in.elapsed.defined() ? at::zeros_like(in.elapsed) : at::Tensor();
  const int64_t tasks = task_count(P.batch);
  std::vector<lq_liquid::LtcGrads<T>> grads;
  grads.reserve(static_cast<size_t>(tasks));
  for (int64_t k = 0; k < tasks; ++k) grads.emplace_back(N, S, Np);
  const T* gs = grad_states.data_ptr<T>();
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t k = begin; k < end; ++k) {
      auto [b0, b1] = task_rows(k, tasks, P.batch);
      T* de = delapsed.defined() ? delapsed.data_ptr<T>() : nullptr;
      LQ_VECTOR_CALL(ltc_backward<T>(P, tape, gs, grads[k], dx.data_ptr<T>(), dh0.data_ptr<T>(), de, b0, b1));
    }
  });
  auto& G = grads[0];
  for (int64_t k = 1; k < tasks; ++k) {
    auto add = [](lq_liquid::Buffer<T>& a, const lq_liquid::Buffer<T>& b) {
      for (size_t i = 0; i < a.size(); ++i) a[i] += b[i];
    };
    add(G.w, grads[k].w), add(G.erev, grads[k].erev), add(G.sigma, grads[k].sigma), add(G.mu_sum, grads[k].mu_sum);
    add(G.s_w, grads[k].s_w), add(G.s_erev, grads[k].s_erev), add(G.s_sigma, grads[k].s_sigma);
    add(G.s_mu_sum, grads[k].s_mu_sum);
    add(G.gleak, grads[k].gleak), add(G.vleak, grads[k].vleak), add(G.cm, grads[k].cm);
  }
  auto matrix = [&](const lq_liquid::Buffer<T>& g, int64_t rows, const at::Tensor* scale) {
    auto out = at::empty({rows, N}, in.x.options());
    auto o = out.accessor<T, 2>();
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < N; ++c) o[r][c] = g[r * Np + c];
    if (scale != nullptr) out.mul_(scale->neg());  // dmu = −σ·Σ dx
    return out;
  };
  // dσ = Σ dx·v − μ·Σ dx (the kernel sums dx·v and dx).
  auto sigma_grad = [&](const lq_liquid::Buffer<T>& dxv, const lq_liquid::Buffer<T>& dx, const at::Tensor& mu) {
    auto out = matrix(dxv, N, nullptr);
    out.sub_(mu * matrix(dx, N, nullptr));
    return out;
  };
  auto vector = [&](const lq_liquid::Buffer<T>& g) {
    auto out = at::empty({N}, in.x.options());
    std::copy(g.begin(), g.begin() + N, out.data_ptr<T>());
    return out;
  };
  const auto& p = in.p;
  return {dx,
          dh0,
          delapsed,
          matrix(G.w, N, nullptr),
          sigma_grad(G.sigma, G.mu_sum, p[2]),
          matrix(G.mu_sum, N, &p[1]),
          matrix(G.erev, N, nullptr),
          matrix(G.s_w, S, nullptr),
          matrix(G.s_sigma, S, nullptr),
          matrix(G.s_mu_sum, S, &p[5]),
          matrix(G.s_erev, S, nullptr),
          vector(G.gleak),
          vector(G.vleak),
          vector(G.cm)};
}

struct LtcFunction : public torch::autograd::Function<LtcFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& h0,
                            const c10::optional<at::Tensor>& elapsed, const at::Tensor& w, const at::Tensor& sigma,
                            const at::Tensor& mu, const at::Tensor& erev, const at::Tensor& sensory_w,
                            const at::Tensor& sensory_sigma, const at::Tensor& sensory_mu,
                            const at::Tensor& sensory_erev, const at::Tensor& gleak, const at::Tensor& vleak,
                            const at::Tensor& cm, int64_t unfolds, double epsilon) {
    const auto in = check_ltc("ltc", x, h0, elapsed.value_or(at::Tensor()),
                              {w, sigma, mu, erev, sensory_w, sensory_sigma, sensory_mu, sensory_erev, gleak, vleak, cm},
                              unfolds, epsilon);
    const int64_t B = x.size(0), T = x.size(1), N = h0.size(1);
    auto states = at::empty({B, T, N}, x.options());
    const int64_t Np = x.scalar_type() == at::kFloat ? lq_liquid::padded_width<float>(N)
                                                     : lq_liquid::padded_width<double>(N);
    auto v_in = at::empty({B, T, unfolds, Np}, x.options());
    auto denominator = at::empty({B, T, unfolds, Np}, x.options());
    auto sigma_tape = x.scalar_type() == at::kFloat ? ltc_sigma_tape<float>(x, N, unfolds)
                                                    : ltc_sigma_tape<double>(x, N, unfolds);
    if (x.scalar_type() == at::kFloat) run_ltc_forward<float>(in, states, &v_in, &denominator, sigma_tape);
    else run_ltc_forward<double>(in, states, &v_in, &denominator, sigma_tape);
    std::vector<at::Tensor> saved{in.x, in.h0, in.elapsed};
    saved.insert(saved.end(), in.p.begin(), in.p.end());
    saved.push_back(states);
    ctx->save_for_backward(saved);
    ctx->saved_data["v_in"] = v_in;
    ctx->saved_data["denominator"] = denominator;
    ctx->saved_data["sigma"] = c10::List<at::Tensor>(sigma_tape);
    ctx->saved_data["unfolds"] = unfolds;
    ctx->saved_data["epsilon"] = epsilon;
    return states;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    LtcInputs in{saved[0], saved[1], saved[2], {saved.begin() + 3, saved.begin() + 14},
                 ctx->saved_data["unfolds"].toInt(), ctx->saved_data["epsilon"].toDouble()};
    const auto& states = saved[14];
    const auto v_in = ctx->saved_data["v_in"].toTensor();
    const auto denominator = ctx->saved_data["denominator"].toTensor();
    const auto sigma_tape = ctx->saved_data["sigma"].toTensorList().vec();
    const auto grad = grad_outputs[0].contiguous();
    auto grads = states.scalar_type() == at::kFloat
                     ? run_ltc_backward<float>(in, states, v_in, denominator, sigma_tape, grad)
                     : run_ltc_backward<double>(in, states, v_in, denominator, sigma_tape, grad);
    grads.push_back(at::Tensor());  // unfolds
    grads.push_back(at::Tensor());  // epsilon
    return grads;
  }
};

bool any_requires_grad(std::initializer_list<const at::Tensor*> tensors) {
  for (auto* t : tensors)
    if (t->defined() && t->requires_grad()) return true;
  return false;
}

at::Tensor ltc_sequence(const at::Tensor& x, const at::Tensor& h0, const at::Tensor& elapsed,
                        const std::vector<at::Tensor>& p, int64_t unfolds, double epsilon) {
  TORCH_CHECK(p.size() == 11, "ltc: expected 11 parameter tensors, got ", p.size());
  bool needs_grad = at::GradMode::is_enabled() && any_requires_grad({&x, &h0, &elapsed});
  for (const auto& t : p) needs_grad = needs_grad || (at::GradMode::is_enabled() && t.defined() && t.requires_grad());
  if (!needs_grad) {
    // No graph: no tape either.
    const auto in = check_ltc("ltc", x, h0, elapsed, p, unfolds, epsilon);
    auto states = at::empty({x.size(0), x.size(1), h0.size(1)}, x.options());
    if (x.scalar_type() == at::kFloat) run_ltc_forward<float>(in, states, nullptr, nullptr);
    else run_ltc_forward<double>(in, states, nullptr, nullptr);
    return states;
  }
  c10::optional<at::Tensor> dt = elapsed.defined() ? c10::optional<at::Tensor>(elapsed) : c10::nullopt;
  return LtcFunction::apply(x, h0, dt, p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], unfolds,
                            epsilon);
}


// ---------------------------------------------------------------------------------------------
// CfC
// ---------------------------------------------------------------------------------------------

// One CfC cell of the step, as lq_cfc_sequence describes it: input size I, units n, backbone layers L
// (width U), activation and mode codes, and its weights in order: for each backbone layer W [U, in]
// and b [U], then the heads (default/no_gate: [ff1; ff2; time_a; time_b] concatenated, [4n, width];
// pure: ff1 [n, width]) and their bias, and in pure mode A and w_tau [1, n]. The "first map" is the
// affine map that reads [input, state]: backbone layer 0, or the heads when L = 0.
struct CfcCellSpec {
  int64_t inputs, units, layers, width, activation, mode;
  int64_t offset;       // the cell's columns in the state
  size_t first_weight;  // index of its first weight in the flat list
  int64_t heads() const { return mode == 2 ? units : 4 * units; }
  int64_t first_out() const { return layers > 0 ? width : heads(); }
  size_t weight_count() const { return 2 * static_cast<size_t>(layers) + 2 + (mode == 2 ? 2 : 0); }
  size_t heads_weight() const { return first_weight + 2 * static_cast<size_t>(layers); }
};

std::vector<CfcCellSpec> parse_cfc_spec(const std::vector<int64_t>& spec, size_t weight_count) {
  TORCH_CHECK(!spec.empty() && spec[0] >= 1 && spec.size() == 1 + 6 * static_cast<size_t>(spec[0]),
              "cfc: malformed cell description of ", spec.size(), " numbers");
  std::vector<CfcCellSpec> cells;
  int64_t offset = 0;
  size_t weights = 0;
  for (int64_t c = 0; c < spec[0]; ++c) {
    const int64_t* d = spec.data() + 1 + 6 * c;
    CfcCellSpec cell{d[0], d[1], d[2], d[3], d[4], d[5], offset, weights};
    TORCH_CHECK(cell.inputs >= 1 && cell.units >= 1 && cell.layers >= 0 && (cell.layers == 0 || cell.width >= 1),
                "cfc: cell ", c, " has invalid sizes");
    TORCH_CHECK(cell.activation >= 0 && cell.activation <= 4, "cfc: unknown activation code ", cell.activation);
    TORCH_CHECK(cell.mode >= 0 && cell.mode <= 2, "cfc: unknown mode code ", cell.mode);
    if (cell.layers == 0) cell.width = cell.inputs + cell.units;
    if (c > 0) TORCH_CHECK(cell.inputs == cells.back().units, "cfc: cell ", c, " reads ", cell.inputs,
                           " inputs but the previous cell has ", cells.back().units, " units");
    offset += cell.units;
    weights += cell.weight_count();
    cells.push_back(cell);
  }
  TORCH_CHECK(weights == weight_count, "cfc: the cells need ", weights, " weight tensors, got ", weight_count);
  return cells;
}

void check_cfc_weights(const std::vector<CfcCellSpec>& cells, const std::vector<at::Tensor>& w, at::ScalarType dtype) {
  for (size_t c = 0; c < cells.size(); ++c) {
    const auto& cell = cells[c];
    size_t k = cell.first_weight;
    auto expect = [&](at::IntArrayRef shape, const char* what) {
      check_cpu_float(w[k], "cfc", what, dtype);
      TORCH_CHECK(w[k].sizes() == shape, "cfc: cell ", c, " ", what, " must be ", shape, ", got ", w[k].sizes());
      ++k;
    };
    for (int64_t l = 0; l < cell.layers; ++l) {
      expect({cell.width, l == 0 ? cell.inputs + cell.units : cell.width}, "backbone weight");
      expect({cell.width}, "backbone bias");
    }
    expect({cell.heads(), cell.layers > 0 ? cell.width : cell.inputs + cell.units}, "head weight");
    expect({cell.heads()}, "head bias");
    if (cell.mode == 2) {
      expect({1, cell.units}, "A");
      expect({1, cell.units}, "w_tau");
    }
  }
}

// Per cell, what the forward pass keeps: the first map's and the backbone's pre-activations, the
// activations, and the heads, each [B, T, ·].
struct CfcCellTape {
  std::vector<at::Tensor> pre;  // L tensors [B, T, U]
  std::vector<at::Tensor> z;    // L tensors [B, T, U]: z[k] = act(pre[k])
  at::Tensor heads;             // [B, T, heads]
};

struct CfcRun {
  at::Tensor x, h0, elapsed;
  std::vector<at::Tensor> w;
  std::vector<CfcCellSpec> cells;
  int64_t B = 0, T = 0, N = 0;
};

CfcRun check_cfc(const at::Tensor& x, const at::Tensor& h0, const at::Tensor& elapsed, const std::vector<at::Tensor>& weights,
                 const std::vector<int64_t>& spec) {
  TORCH_CHECK(x.defined() && x.dim() == 3, "cfc: input must be [B, T, S], got ", x.defined() ? x.sizes() : at::IntArrayRef{});
  const auto dtype = x.scalar_type();
  TORCH_CHECK(dtype == at::kFloat || dtype == at::kDouble, "cfc: input must be float32 or float64, got ", dtype);
  check_cpu_float(x, "cfc", "input", dtype);
  CfcRun run;
  run.cells = parse_cfc_spec(spec, weights.size());
  run.B = x.size(0);
  run.T = x.size(1);
  run.N = run.cells.back().offset + run.cells.back().units;
  TORCH_CHECK(run.B >= 1 && run.T >= 1, "cfc: input must be non-empty, got ", x.sizes());
  TORCH_CHECK(x.size(2) == run.cells[0].inputs, "cfc: input has ", x.size(2), " features, the first cell reads ",
              run.cells[0].inputs);
  check_cpu_float(h0, "cfc", "initial state", dtype);
  check_shape(h0, "cfc", "initial state", {run.B, run.N});
  if (elapsed.defined()) {
    check_cpu_float(elapsed, "cfc", "elapsed times", dtype);
    check_shape(elapsed, "cfc", "elapsed times", {run.B, run.T});
    run.elapsed = elapsed.contiguous();
  }
  check_cfc_weights(run.cells, weights, dtype);
  run.x = x.contiguous();
  run.h0 = h0.contiguous();
  for (const auto& t : weights) run.w.push_back(t.contiguous());
  return run;
}

// A strided row-major matrix: rows × cols at data, rows ld apart.
template <typename T>
struct Rows {
  T* data;
  int64_t rows, cols, ld;
  T* row(int64_t b) const { return data + b * ld; }
};

// The per-step products go straight to the BLAS libtorch loaded (the Fortran sgemm_/dgemm_ of
// libblas.so.3 or OpenBLAS): at M = batch rows they are short, and ATen's dispatch, view and
// allocation per call cost about as much as the arithmetic. Without such a BLAS, ATen's addmm.
using sgemm_fn = void (*)(const char*, const char*, const int*, const int*, const int*, const float*, const float*,
                          const int*, const float*, const int*, const float*, float*, const int*);
using dgemm_fn = void (*)(const char*, const char*, const int*, const int*, const int*, const double*, const double*,
                          const int*, const double*, const int*, const double*, double*, const int*);

struct Blas {
  sgemm_fn sgemm = nullptr;
  dgemm_fn dgemm = nullptr;
};

const Blas& blas() {
  static const Blas found = [] {
    Blas b;
    auto lookup = [&](void* library) {
      if (!b.sgemm) b.sgemm = reinterpret_cast<sgemm_fn>(dlsym(library, "sgemm_"));
      if (!b.dgemm) b.dgemm = reinterpret_cast<dgemm_fn>(dlsym(library, "dgemm_"));
    };
    lookup(RTLD_DEFAULT);
    for (const char* name : {"libblas.so.3", "libopenblas.so.0", "libopenblas.so"}) {
      if (void* library = dlopen(name, RTLD_LAZY | RTLD_NOLOAD)) {
        lookup(library);
        dlclose(library);  // RTLD_NOLOAD took a reference; libtorch keeps the library loaded
      }
    }
    return b;
  }();
  return found;
}

// C = A·op(B) + beta·C in row-major terms, op(B) = B or Bᵀ; A is M×K, op(B) K×N, C M×N.
template <typename T>
void gemm(const Rows<T>& a, const Rows<T>& b, bool transpose_b, T beta, const Rows<T>& c) {
  const int m = static_cast<int>(c.rows), n = static_cast<int>(c.cols), k = static_cast<int>(a.cols);
  const int lda = static_cast<int>(a.ld), ldb = static_cast<int>(b.ld), ldc = static_cast<int>(c.ld);
  const T one = 1;
  const char tb = transpose_b ? 'T' : 'N', ta = 'N';
  // Row-major C = A·B is column-major Cᵀ = Bᵀ·Aᵀ: the same buffers with the operands swapped.
  if constexpr (std::is_same_v<T, float>) {
    if (blas().sgemm) return blas().sgemm(&tb, &ta, &n, &m, &k, &one, b.data, &ldb, a.data, &lda, &beta, c.data, &ldc);
  } else {
    if (blas().dgemm) return blas().dgemm(&tb, &ta, &n, &m, &k, &one, b.data, &ldb, a.data, &lda, &beta, c.data, &ldc);
  }
  auto opts = at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value);
  auto ta_ = at::from_blob(a.data, {a.rows, a.cols}, {a.ld, 1}, opts);
  auto tb_ = transpose_b ? at::from_blob(b.data, {c.cols, a.cols}, {b.ld, 1}, opts).t()
                         : at::from_blob(b.data, {a.cols, c.cols}, {b.ld, 1}, opts);
  auto tc = at::from_blob(c.data, {c.rows, c.cols}, {c.ld, 1}, opts);
  if (beta == T(0)) tc.zero_();  // BLAS ignores C when beta is 0; so must we (it may hold NaNs)
  else tc.mul_(beta);
  tc.addmm_(ta_, tb_);
}

template <typename T>
Rows<T> rows_of(const at::Tensor& t) {  // a contiguous 2-D tensor
  return {const_cast<T*>(t.data_ptr<T>()), t.size(0), t.size(1), t.size(1)};
}

// Step t's rows of a [B, T, width] tape tensor.
template <typename T>
Rows<T> step_rows(const at::Tensor& tape, int64_t t, int64_t column = 0, int64_t width = -1) {
  const int64_t w = tape.size(2);
  return {const_cast<T*>(tape.data_ptr<T>()) + t * w + column, tape.size(0), width < 0 ? w : width, tape.size(1) * w};
}

// Cell c's columns of the state after step t (t = −1: the initial state).
template <typename T>
Rows<T> state_rows(const CfcRun& r, const at::Tensor& states, const CfcCellSpec& cell, int64_t t) {
  if (t < 0) return {const_cast<T*>(r.h0.data_ptr<T>()) + cell.offset, r.B, cell.units, r.N};
  return {const_cast<T*>(states.data_ptr<T>()) + t * r.N + cell.offset, r.B, cell.units, r.T * r.N};
}

// Columns from … from+count of a weight [out, in], as a matrix operand.
template <typename T>
Rows<T> weight_columns(const at::Tensor& w, int64_t from, int64_t count) {
  return {const_cast<T*>(w.data_ptr<T>()) + from, w.size(0), count, w.size(1)};
}

template <typename T>
void set_rows_to_bias(const Rows<T>& out, const at::Tensor& bias) {
  const T* b = bias.data_ptr<T>();
  for (int64_t r = 0; r < out.rows; ++r) std::copy(b, b + out.cols, out.row(r));
}

template <typename T>
void rows_activation(int64_t activation, const Rows<T>& pre, const Rows<T>& z) {
  for (int64_t b = 0; b < pre.rows; ++b) {
    LQ_VECTOR_CALL(cfc_activation_forward<T>(static_cast<int>(activation), pre.row(b), z.row(b), pre.cols));
  }
}

template <typename T>
void rows_activation_backward(int64_t activation, const Rows<T>& pre, const Rows<T>& dz, const Rows<T>& dpre) {
  for (int64_t b = 0; b < pre.rows; ++b) {
    LQ_VECTOR_CALL(cfc_activation_backward<T>(static_cast<int>(activation), pre.row(b), dz.row(b), dpre.row(b), pre.cols));
  }
}

template <typename T>
void cfc_forward(const CfcRun& r, at::Tensor& states, std::vector<CfcCellTape>& tapes) {
  const auto opts = r.x.options();
  tapes.assign(r.cells.size(), {});
  for (size_t c = 0; c < r.cells.size(); ++c) {
    const auto& cell = r.cells[c];
    auto& tape = tapes[c];
    for (int64_t l = 0; l < cell.layers; ++l) {
      tape.pre.push_back(at::empty({r.B, r.T, cell.width}, opts));
      tape.z.push_back(at::empty({r.B, r.T, cell.width}, opts));
    }
    tape.heads = at::empty({r.B, r.T, cell.heads()}, opts);
  }
  // The first cell's input part of its first map, for every step in one product.
  {
    const auto& cell = r.cells[0];
    const auto& wf = r.w[cell.first_weight];
    auto first = cell.layers > 0 ? tapes[0].pre[0] : tapes[0].heads;
    auto flat = first.view({r.B * r.T, cell.first_out()});
    at::addmm_out(flat, r.w[cell.first_weight + 1], r.x.view({r.B * r.T, cell.inputs}), wf.narrow(1, 0, cell.inputs).t());
  }
  const T* dt = r.elapsed.defined() ? r.elapsed.data_ptr<T>() : nullptr;
  for (int64_t t = 0; t < r.T; ++t) {
    for (size_t c = 0; c < r.cells.size(); ++c) {
      const auto& cell = r.cells[c];
      auto& tape = tapes[c];
      const auto& wf = r.w[cell.first_weight];
      const auto first = step_rows<T>(cell.layers > 0 ? tape.pre[0] : tape.heads, t);
      if (c > 0) {
        set_rows_to_bias(first, r.w[cell.first_weight + 1]);
        gemm<T>(state_rows<T>(r, states, r.cells[c - 1], t), weight_columns<T>(wf, 0, cell.inputs), true, T(1), first);
      }
      gemm<T>(state_rows<T>(r, states, cell, t - 1), weight_columns<T>(wf, cell.inputs, cell.units), true, T(1), first);
      for (int64_t l = 0; l < cell.layers; ++l) {
        const auto pre = step_rows<T>(tape.pre[l], t);
        if (l > 0) {
          set_rows_to_bias(pre, r.w[cell.first_weight + 2 * l + 1]);
          gemm<T>(step_rows<T>(tape.z[l - 1], t), rows_of<T>(r.w[cell.first_weight + 2 * l]), true, T(1), pre);
        }
        rows_activation<T>(cell.activation, pre, step_rows<T>(tape.z[l], t));
      }
      const auto heads = step_rows<T>(tape.heads, t);
      const size_t hw = cell.heads_weight();
      if (cell.layers > 0) {
        set_rows_to_bias(heads, r.w[hw + 1]);
        gemm<T>(step_rows<T>(tape.z[cell.layers - 1], t), rows_of<T>(r.w[hw]), true, T(1), heads);
      }
      const T* A = cell.mode == 2 ? r.w[hw + 2].data_ptr<T>() : nullptr;
      const T* w_tau = cell.mode == 2 ? r.w[hw + 3].data_ptr<T>() : nullptr;
      const auto out = state_rows<T>(r, states, cell, t);
      for (int64_t b = 0; b < r.B; ++b) {
        const T ts = dt ? dt[b * r.T + t] : T(1);
        LQ_VECTOR_CALL(cfc_update_forward<T>(static_cast<int>(cell.mode), heads.row(b), A, w_tau, ts, dt != nullptr, out.row(b), cell.units));
      }
    }
  }
}

// Gradients in the forward's order: x, h0, elapsed (undefined without), then every weight.
template <typename T>
std::vector<at::Tensor> cfc_backward(const CfcRun& r, const at::Tensor& states, const std::vector<CfcCellTape>& tapes,
                                     const at::Tensor& grad_states) {
  const auto opts = r.x.options();
  const int64_t B = r.B, Tn = r.T;
  const size_t C = r.cells.size();
  std::vector<at::Tensor> dweights(r.w.size());
  for (size_t k = 0; k < r.w.size(); ++k) dweights[k] = at::zeros_like(r.w[k]);
  auto delapsed = r.elapsed.defined() ? at::zeros_like(r.elapsed) : at::Tensor();
  T* ddt = delapsed.defined() ? delapsed.data_ptr<T>() : nullptr;
  const T* dt = r.elapsed.defined() ? r.elapsed.data_ptr<T>() : nullptr;

  // Per cell: dL/d(first map output) and, with a backbone, dL/d(heads) and dL/d(pre) of layers ≥ 1,
  // for every step, so the weight gradients are a few large products at the end.
  std::vector<at::Tensor> d_first(C), d_heads(C);
  std::vector<std::vector<at::Tensor>> d_pre(C);
  std::vector<at::Tensor> carry(C), from_above(C);
  int64_t widest = 1;
  for (size_t c = 0; c < C; ++c) {
    const auto& cell = r.cells[c];
    d_first[c] = at::empty({B, Tn, cell.first_out()}, opts);
    if (cell.layers > 0) d_heads[c] = at::empty({B, Tn, cell.heads()}, opts);
    for (int64_t l = 1; l < cell.layers; ++l) d_pre[c].push_back(at::empty({B, Tn, cell.width}, opts));
    carry[c] = at::zeros({B, cell.units}, opts);
    from_above[c] = at::zeros({B, cell.units}, opts);
    widest = std::max({widest, cell.width, cell.units});
  }
  auto gh_buffer = at::empty({B, widest}, opts);
  auto dz_buffer = at::empty({B, widest}, opts);
  const T* grad = grad_states.data_ptr<T>();
  for (int64_t t = Tn - 1; t >= 0; --t) {
    for (size_t ci = C; ci-- > 0;) {
      const auto& cell = r.cells[ci];
      const auto& tape = tapes[ci];
      // dL/d(new state) = its own gradient + the next step's (carry) + the next cell's input gradient.
      const Rows<T> gh{gh_buffer.data_ptr<T>(), B, cell.units, cell.units};
      const T* cy = carry[ci].data_ptr<T>();
      const T* above = from_above[ci].data_ptr<T>();
      for (int64_t b = 0; b < B; ++b) {
        const T* g = grad + (b * Tn + t) * r.N + cell.offset;
        T* out = gh.row(b);
        for (int64_t j = 0; j < cell.units; ++j)
          out[j] = ci + 1 < C ? g[j] + cy[b * cell.units + j] + above[b * cell.units + j] : g[j] + cy[b * cell.units + j];
      }
      const auto heads = step_rows<T>(tape.heads, t);
      const auto dheads = step_rows<T>(cell.layers > 0 ? d_heads[ci] : d_first[ci], t);
      const size_t hw = cell.heads_weight();
      const T* A = cell.mode == 2 ? r.w[hw + 2].data_ptr<T>() : nullptr;
      const T* w_tau = cell.mode == 2 ? r.w[hw + 3].data_ptr<T>() : nullptr;
      T* dA = cell.mode == 2 ? dweights[hw + 2].data_ptr<T>() : nullptr;
      T* dw_tau = cell.mode == 2 ? dweights[hw + 3].data_ptr<T>() : nullptr;
      for (int64_t b = 0; b < B; ++b) {
        const T ts = dt ? dt[b * Tn + t] : T(1);
        const T dts = LQ_VECTOR_CALL(cfc_update_backward<T>(static_cast<int>(cell.mode), heads.row(b), A, w_tau, ts,
                                                            dt != nullptr, gh.row(b), dheads.row(b), dA, dw_tau, cell.units));
        if (ddt) ddt[b * Tn + t] += dts;
      }
      if (cell.layers > 0) {
        Rows<T> dz{dz_buffer.data_ptr<T>(), B, cell.width, cell.width};
        gemm<T>(dheads, rows_of<T>(r.w[hw]), false, T(0), dz);
        for (int64_t l = cell.layers - 1; l >= 0; --l) {
          const auto dpre = step_rows<T>(l == 0 ? d_first[ci] : d_pre[ci][l - 1], t);
          rows_activation_backward<T>(cell.activation, step_rows<T>(tape.pre[l], t), dz, dpre);
          if (l > 0) gemm<T>(dpre, rows_of<T>(r.w[cell.first_weight + 2 * l]), false, T(0), dz);
        }
      }
      const auto dfirst = step_rows<T>(d_first[ci], t);
      const auto& wf = r.w[cell.first_weight];
      gemm<T>(dfirst, weight_columns<T>(wf, cell.inputs, cell.units), false, T(0), rows_of<T>(carry[ci]));
      if (ci > 0) gemm<T>(dfirst, weight_columns<T>(wf, 0, cell.inputs), false, T(0), rows_of<T>(from_above[ci - 1]));
    }
  }
  // Weight gradients over all steps at once.
  at::Tensor dx;
  for (size_t ci = 0; ci < C; ++ci) {
    const auto& cell = r.cells[ci];
    const auto& tape = tapes[ci];
    const int64_t rows = B * Tn;
    auto dfirst = d_first[ci].view({rows, cell.first_out()});
    const auto& wf = r.w[cell.first_weight];
    auto inputs = ci == 0 ? r.x.view({rows, cell.inputs})
                          : states.narrow(2, r.cells[ci - 1].offset, cell.inputs).reshape({rows, cell.inputs});
    auto previous = at::cat({r.h0.narrow(1, cell.offset, cell.units).unsqueeze(1),
                             states.narrow(1, 0, Tn - 1).narrow(2, cell.offset, cell.units)}, 1)
                        .reshape({rows, cell.units});
    auto& dwf = dweights[cell.first_weight];
    dwf.narrow(1, 0, cell.inputs).copy_(at::mm(dfirst.t(), inputs));
    dwf.narrow(1, cell.inputs, cell.units).copy_(at::mm(dfirst.t(), previous));
    dweights[cell.first_weight + 1].copy_(dfirst.sum(0));
    if (ci == 0) dx = at::mm(dfirst, wf.narrow(1, 0, cell.inputs)).view({B, Tn, cell.inputs});
    for (int64_t l = 1; l < cell.layers; ++l) {
      auto dpre = d_pre[ci][l - 1].view({rows, cell.width});
      dweights[cell.first_weight + 2 * l].copy_(at::mm(dpre.t(), tape.z[l - 1].view({rows, cell.width})));
      dweights[cell.first_weight + 2 * l + 1].copy_(dpre.sum(0));
    }
    if (cell.layers > 0) {
      auto dh = d_heads[ci].view({rows, cell.heads()});
      const size_t hw = cell.heads_weight();
      dweights[hw].copy_(at::mm(dh.t(), tape.z[cell.layers - 1].view({rows, cell.width})));
      dweights[hw + 1].copy_(dh.sum(0));
    }
  }
  at::Tensor dh0 = at::cat(carry, 1);
  std::vector<at::Tensor> grads{dx, dh0, delapsed};
  grads.insert(grads.end(), dweights.begin(), dweights.end());
  return grads;
}

struct CfcFunction : public torch::autograd::Function<CfcFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& h0,
                            const c10::optional<at::Tensor>& elapsed, at::TensorList weights, std::vector<int64_t> spec) {
    auto r = check_cfc(x, h0, elapsed.value_or(at::Tensor()), weights.vec(), spec);
    auto states = at::empty({r.B, r.T, r.N}, r.x.options());
    std::vector<CfcCellTape> tapes;
    if (r.x.scalar_type() == at::kFloat) cfc_forward<float>(r, states, tapes);
    else cfc_forward<double>(r, states, tapes);
    std::vector<at::Tensor> saved{r.x, r.h0, r.elapsed};
    saved.insert(saved.end(), r.w.begin(), r.w.end());
    saved.push_back(states);
    ctx->save_for_backward(saved);
    c10::List<at::Tensor> pre, z, heads;
    std::vector<int64_t> counts;
    for (const auto& tape : tapes) {
      for (const auto& t : tape.pre) pre.push_back(t);
      for (const auto& t : tape.z) z.push_back(t);
      heads.push_back(tape.heads);
    }
    ctx->saved_data["pre"] = pre;
    ctx->saved_data["z"] = z;
    ctx->saved_data["heads"] = heads;
    ctx->saved_data["spec"] = spec;
    return states;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto spec = ctx->saved_data["spec"].toIntVector();
    const std::vector<at::Tensor> weights(saved.begin() + 3, saved.end() - 1);
    auto r = check_cfc(saved[0], saved[1], saved[2], weights, spec);
    const auto& states = saved.back();
    auto pre = ctx->saved_data["pre"].toTensorList();
    auto z = ctx->saved_data["z"].toTensorList();
    auto heads = ctx->saved_data["heads"].toTensorList();
    std::vector<CfcCellTape> tapes(r.cells.size());
    size_t k = 0;
    for (size_t c = 0; c < r.cells.size(); ++c) {
      for (int64_t l = 0; l < r.cells[c].layers; ++l, ++k) {
        tapes[c].pre.push_back(pre.get(k));
        tapes[c].z.push_back(z.get(k));
      }
      tapes[c].heads = heads.get(c);
    }
    const auto grad = grad_outputs[0].contiguous();
    auto grads = r.x.scalar_type() == at::kFloat ? cfc_backward<float>(r, states, tapes, grad)
                                                 : cfc_backward<double>(r, states, tapes, grad);
    grads.push_back(at::Tensor());  // spec
    return grads;
  }
};

at::Tensor cfc_sequence(const at::Tensor& x, const at::Tensor& h0, const at::Tensor& elapsed,
                        const std::vector<at::Tensor>& weights, const std::vector<int64_t>& spec) {
  bool needs_grad = at::GradMode::is_enabled() && any_requires_grad({&x, &h0, &elapsed});
  for (const auto& t : weights) needs_grad = needs_grad || (at::GradMode::is_enabled() && t.defined() && t.requires_grad());
  if (!needs_grad) {
    at::NoGradGuard no_grad;
    auto r = check_cfc(x, h0, elapsed, weights, spec);
    auto states = at::empty({r.B, r.T, r.N}, r.x.options());
    std::vector<CfcCellTape> tapes;
    if (r.x.scalar_type() == at::kFloat) cfc_forward<float>(r, states, tapes);
    else cfc_forward<double>(r, states, tapes);
    return states;
  }
  c10::optional<at::Tensor> dt = elapsed.defined() ? c10::optional<at::Tensor>(elapsed) : c10::nullopt;
  return CfcFunction::apply(x, h0, dt, at::TensorList(weights), spec);
}

}  // namespace

LQ_API int lq_init_orthogonal_(lq_tensor tensor, double gain) { LQ_STATUS(orthogonal_(lq::mut(tensor), gain)) }

// The vector build the liquid kernels run: at most `cap` (0 baseline x86-64, 1 AVX2+FMA, 2 AVX-512),
// and at most what the CPU supports; −1: read only; −2: returns the best build the CPU supports.
// Returns the build in use before.
LQ_API int lq_liquid_vector_level(int cap) {
  if (cap == -2) return lq_liquid::best_vector_level();
  const int before = lq_liquid::vector_level();
  if (cap >= 0) lq_liquid::vector_level_cap.store(std::min(cap, 2));
  return before;
}

// Bytes of σ the LTC kernel may keep for its backward pass (negative: read only). Returns the previous value.
LQ_API int64_t lq_ltc_sigma_budget(int64_t bytes) {
  return bytes < 0 ? ltc_sigma_budget.load() : ltc_sigma_budget.exchange(bytes);
}

LQ_API lq_tensor lq_ltc_sequence(lq_tensor x, lq_tensor h0, lq_tensor elapsed, const lq_tensor* parameters,
                                 int64_t count, int64_t unfolds, double epsilon) {
  LQ_TENSOR(ltc_sequence(lq::ref(x), lq::ref(h0), elapsed ? lq::ref(elapsed) : at::Tensor(),
                         lq::tensors(parameters, count), unfolds, epsilon))
}

LQ_API lq_tensor lq_ltc_step(lq_tensor x, lq_tensor v, lq_tensor elapsed, const lq_tensor* parameters, int64_t count,
                             int64_t unfolds, double epsilon) {
  LQ_TENSOR(([&] {
    const auto& input = lq::ref(x);
    const auto& state = lq::ref(v);
    TORCH_CHECK(input.dim() == 2, "ltc_step: input must be [B, S], got ", input.sizes());
    at::Tensor dt;
    if (elapsed != nullptr) {
      const auto& e = lq::ref(elapsed);
      TORCH_CHECK(e.dim() == 1, "ltc_step: elapsed times must be [B], got ", e.sizes());
      dt = e.unsqueeze(1);
    }
    return ltc_sequence(input.unsqueeze(1), state, dt, lq::tensors(parameters, count), unfolds, epsilon).squeeze(1);
  }()))
}

LQ_API lq_tensor lq_cfc_sequence(lq_tensor x, lq_tensor h0, lq_tensor elapsed, const lq_tensor* weights, int64_t count,
                                 const int64_t* spec, int64_t spec_length) {
  LQ_TENSOR(cfc_sequence(lq::ref(x), lq::ref(h0), elapsed ? lq::ref(elapsed) : at::Tensor(), lq::tensors(weights, count),
                         std::vector<int64_t>(spec, spec + spec_length)))
}
