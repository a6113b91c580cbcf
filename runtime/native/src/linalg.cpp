// Matrix products and the FFT family.
#include "common.h"

LQ_API lq_tensor lq_matmul(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::matmul(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_mm(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::mm(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_bmm(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::bmm(lq::ref(a), lq::ref(b))) }
LQ_API lq_tensor lq_baddbmm(lq_tensor input, lq_tensor a, lq_tensor b, double beta, double alpha) {
  LQ_TENSOR(at::baddbmm(lq::ref(input), lq::ref(a), lq::ref(b), beta, alpha))
}
LQ_API lq_tensor lq_outer(lq_tensor a, lq_tensor b) { LQ_TENSOR(at::outer(lq::ref(a), lq::ref(b))) }

namespace {
// n < 0 means "use the input's length", as `n=None` in torch.fft.
c10::optional<int64_t> length(int64_t n) { return n < 0 ? c10::nullopt : c10::optional<int64_t>(n); }
// 0 = "backward" (default), 1 = "forward", 2 = "ortho".
c10::optional<c10::string_view> norm_mode(int32_t norm) {
  switch (norm) {
    case 1: return c10::string_view("forward");
    case 2: return c10::string_view("ortho");
    default: return c10::string_view("backward");
  }
}
}  // namespace

LQ_API lq_tensor lq_fft_rfft(lq_tensor t, int64_t n, int64_t dim, int32_t norm) {
  LQ_TENSOR(at::fft_rfft(lq::ref(t), length(n), dim, norm_mode(norm)))
}
LQ_API lq_tensor lq_fft_irfft(lq_tensor t, int64_t n, int64_t dim, int32_t norm) {
  LQ_TENSOR(at::fft_irfft(lq::ref(t), length(n), dim, norm_mode(norm)))
}
LQ_API lq_tensor lq_fft_fft(lq_tensor t, int64_t n, int64_t dim, int32_t norm) {
  LQ_TENSOR(at::fft_fft(lq::ref(t), length(n), dim, norm_mode(norm)))
}
LQ_API lq_tensor lq_fft_ifft(lq_tensor t, int64_t n, int64_t dim, int32_t norm) {
  LQ_TENSOR(at::fft_ifft(lq::ref(t), length(n), dim, norm_mode(norm)))
}
LQ_API lq_tensor lq_real(lq_tensor t) { LQ_TENSOR(at::real(lq::ref(t))) }
LQ_API lq_tensor lq_imag(lq_tensor t) { LQ_TENSOR(at::imag(lq::ref(t))) }
LQ_API lq_tensor lq_complex(lq_tensor re, lq_tensor im) { LQ_TENSOR(at::complex(lq::ref(re), lq::ref(im))) }
LQ_API lq_tensor lq_view_as_real(lq_tensor t) { LQ_TENSOR(at::view_as_real(lq::ref(t))) }
