// Causal sliding-window attention that computes and keeps only the band of scores a window allows,
// with its own backward (a torch::autograd::Function; see runtime/native/README.md).
//
//   q [B, H, T, D], k [B, KV, S, D], v [B, KV, S, Dv], KV dividing H, S >= T.
//   Query i sits at position S - T + i (the last T positions: with S > T the first S - T keys are a
//   cache) and sees keys j with position - W < j <= position; query head h reads key/value head
//   h / (H / KV). Returns softmax(scale * q kᵀ over the window) v, [B, H, T, Dv].
//
// Blocked formulation: queries are taken in blocks of `block` rows; a block's keys are the contiguous
// range from its first query's window start to its last query, at most block + W - 1 keys, so each
// block is two batched GEMMs (scores, then probabilities times values) over a [rows, keys] tile, with
// the tile's positions outside the band masked to -inf before the softmax. Nothing of size T x S is
// ever formed: the forward keeps the tiles' probabilities (about T x (block + W) per head) for the
// backward, which runs the same tiles in reverse:
//   dV += Pᵀ dO,  dP = dO Vᵀ,  dS = P (dP - rowsum(dO * O)),  dQ = scale dS K,  dK += scale dSᵀ Q.
// The G = H / KV query heads of a group share their keys: they are laid out [B, KV, T, G, D], so a
// block of queries of one group is a contiguous [B, KV, rows * G, D] matrix and K is never repeated.
#include "common.h"

#include <algorithm>
#include <iterator>
#include <limits>

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The geometry of one call: shapes, the effective window and the block tiling. Forward and backward
// derive the same tiles from it.
struct Band {
  int64_t batch, heads, kv_heads, group, steps, keys, dim, value_dim, window, block;

  // Checks the inputs and derives the geometry.
  static Band of(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, int64_t window, int64_t block) {
    TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "window_attention: q, k and v must be 4-D [B, heads, T, D], got ",
                q.sizes(), ", ", k.sizes(), " and ", v.sizes());
    Band b{};
    b.batch = q.size(0), b.heads = q.size(1), b.steps = q.size(2), b.dim = q.size(3);
    b.kv_heads = k.size(1), b.keys = k.size(2), b.value_dim = v.size(3);
    TORCH_CHECK(k.size(0) == b.batch && v.size(0) == b.batch && k.size(3) == b.dim && v.size(1) == b.kv_heads && v.size(2) == b.keys,
                "window_attention: keys ", k.sizes(), " and values ", v.sizes(), " do not fit queries ", q.sizes());
    TORCH_CHECK(b.kv_heads > 0 && b.heads % b.kv_heads == 0, "window_attention: ", b.kv_heads, " key/value heads do not divide ",
                b.heads, " query heads");
    TORCH_CHECK(b.steps >= 1 && b.keys >= b.steps, "window_attention: ", b.steps, " queries need at least as many keys, got ", b.keys);
    TORCH_CHECK(window >= 0, "window_attention: window must be >= 0 (0 = all earlier keys), got ", window);
    TORCH_CHECK(block >= 0, "window_attention: block must be >= 0 (0 = automatic), got ", block);
    TORCH_CHECK(q.scalar_type() == k.scalar_type() && q.scalar_type() == v.scalar_type() && at::isFloatingType(q.scalar_type()),
                "window_attention: q, k and v must share one floating dtype, got ", q.scalar_type(), ", ", k.scalar_type(), " and ",
                v.scalar_type());
    TORCH_CHECK(q.device() == k.device() && q.device() == v.device(), "window_attention: q, k and v must be on one device");
    b.group = b.heads / b.kv_heads;
    // A window reaching before the first key is the same as one that stops there.
    b.window = window == 0 ? b.keys : std::min(window, b.keys);
    // Tiles of 64 query rows keep the wasted corner of each tile (block - 1 keys) small against a
    // window of hundreds while leaving GEMMs large enough for BLAS; a short sequence is one tile.
    b.block = block > 0 ? block : std::min<int64_t>(b.steps, 64);
    return b;
  }

  static constexpr const char* fields[] = {"batch", "heads", "kv_heads", "steps", "keys", "dim", "value_dim", "window", "block"};

  void save(AutogradContext* ctx) const {
    const int64_t values[] = {batch, heads, kv_heads, steps, keys, dim, value_dim, window, block};
    for (size_t i = 0; i < std::size(fields); ++i) ctx->saved_data[fields[i]] = values[i];
  }

  static Band load(AutogradContext* ctx) {
    Band b{};
    int64_t* targets[] = {&b.batch, &b.heads, &b.kv_heads, &b.steps, &b.keys, &b.dim, &b.value_dim, &b.window, &b.block};
    for (size_t i = 0; i < std::size(fields); ++i) *targets[i] = ctx->saved_data[fields[i]].toInt();
    b.group = b.heads / b.kv_heads;
    return b;
  }

  int64_t tiles() const { return (steps + block - 1) / block; }
  int64_t widest() const { return std::min(keys, block + window - 1); }

  struct Tile {
    int64_t first_query, rows, first_key, width;
  };

  Tile tile(int64_t index) const {
    const int64_t first_query = index * block;
    const int64_t rows = std::min(block, steps - first_query);
    const int64_t position = keys - steps + first_query;
    const int64_t first_key = std::max<int64_t>(0, position - window + 1);
    return {first_query, rows, first_key, position + rows - first_key};
  }

  // True where query row r of the tile may not see key column c: keys after the query, or at or
  // before its position - W. [rows, 1, width], broadcast over the group's heads.
  at::Tensor blocked(const Tile& t, const at::TensorOptions& options) const {
    const auto longs = options.dtype(at::kLong);
    const int64_t position = keys - steps + t.first_query;
    auto query = at::arange(position, position + t.rows, longs).unsqueeze(1);
    auto key = at::arange(t.first_key, t.first_key + t.width, longs).unsqueeze(0);
    return (key.gt(query) | key.le(query - window)).unsqueeze(1);
  }
};

// [B, H, T, D] -> [B, KV, T, G, D] (contiguous): a tile of one group is then a plain row block.
at::Tensor grouped(const at::Tensor& x, const Band& b) {
  return x.view({b.batch, b.kv_heads, b.group, x.size(2), x.size(3)}).transpose(2, 3).contiguous();
}

// [B, KV, T, G, D] -> [B, H, T, D].
at::Tensor ungrouped(const at::Tensor& x, const Band& b) {
  return x.transpose(2, 3).reshape({b.batch, b.heads, x.size(2), x.size(4)});
}

// The tiles' probabilities, stored back to back: tile i's [B, KV, rows * G, width] block starts
// where tile i - 1's ends.
std::vector<int64_t> tile_offsets(const Band& b) {
  std::vector<int64_t> offsets{0};
  for (int64_t i = 0; i < b.tiles(); ++i) {
    const auto t = b.tile(i);
    offsets.push_back(offsets.back() + b.batch * b.kv_heads * t.rows * b.group * t.width);
  }
  return offsets;
}

// Forward over the tiles. `scaled_q` is the grouped query times the scale; returns the grouped output
// [B, KV, T, G, Dv] and, when `probabilities` is given, fills it with every tile's softmax.
at::Tensor band_forward(const at::Tensor& scaled_q, const at::Tensor& k, const at::Tensor& v, const Band& b,
                        at::Tensor* probabilities) {
  auto out = at::empty({b.batch, b.kv_heads, b.steps, b.group, b.value_dim}, scaled_q.options());
  const auto offsets = probabilities != nullptr ? tile_offsets(b) : std::vector<int64_t>{};
  if (probabilities != nullptr) *probabilities = at::empty({offsets.back()}, scaled_q.options());
  for (int64_t i = 0; i < b.tiles(); ++i) {
    const auto t = b.tile(i);
    const int64_t rows = t.rows * b.group;
    auto queries = scaled_q.narrow(2, t.first_query, t.rows).view({b.batch, b.kv_heads, rows, b.dim});
    auto tile_keys = k.narrow(2, t.first_key, t.width);
    auto scores = at::matmul(queries, tile_keys.transpose(-2, -1));  // [B, KV, rows·G, width]
    scores.view({b.batch, b.kv_heads, t.rows, b.group, t.width})
        .masked_fill_(b.blocked(t, scores.options()), -std::numeric_limits<double>::infinity());
    auto weights = at::softmax(scores, -1);
    out.narrow(2, t.first_query, t.rows)
        .copy_(at::matmul(weights, v.narrow(2, t.first_key, t.width)).view({b.batch, b.kv_heads, t.rows, b.group, b.value_dim}));
    if (probabilities != nullptr) probabilities->narrow(0, offsets[i], offsets[i + 1] - offsets[i]).copy_(weights.view(-1));
  }
  return out;
}

struct WindowAttentionFunction : public torch::autograd::Function<WindowAttentionFunction> {
  static at::Tensor forward(AutogradContext* ctx, const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, double scale,
                            int64_t window, int64_t block) {
    const auto b = Band::of(q, k, v, window, block);
    auto scaled_q = grouped(q, b) * scale;
    auto kc = k.contiguous();
    auto vc = v.contiguous();
    at::Tensor probabilities;
    auto out = band_forward(scaled_q, kc, vc, b, &probabilities);
    ctx->save_for_backward({scaled_q, kc, vc, out, probabilities});
    ctx->saved_data["scale"] = scale;
    b.save(ctx);
    return ungrouped(out, b);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    auto saved = ctx->get_saved_variables();
    const auto& scaled_q = saved[0];
    const auto& k = saved[1];
    const auto& v = saved[2];
    const auto& out = saved[3];
    const auto& probabilities = saved[4];
    const double scale = ctx->saved_data["scale"].toDouble();
    const auto b = Band::load(ctx);

    auto grad = grouped(grad_outputs[0], b);  // [B, KV, T, G, Dv]
    auto delta = (grad * out).sum(-1, true);  // rowsum(dO * O), [B, KV, T, G, 1]
    auto dq = at::empty_like(scaled_q);
    auto dk = at::zeros_like(k);
    auto dv = at::zeros_like(v);
    const auto offsets = tile_offsets(b);
    for (int64_t i = 0; i < b.tiles(); ++i) {
      const auto t = b.tile(i);
      const int64_t rows = t.rows * b.group;
      auto weights = probabilities.narrow(0, offsets[i], offsets[i + 1] - offsets[i]).view({b.batch, b.kv_heads, rows, t.width});
      auto tile_grad = grad.narrow(2, t.first_query, t.rows).view({b.batch, b.kv_heads, rows, b.value_dim});
      auto tile_delta = delta.narrow(2, t.first_query, t.rows).view({b.batch, b.kv_heads, rows, 1});
      auto queries = scaled_q.narrow(2, t.first_query, t.rows).view({b.batch, b.kv_heads, rows, b.dim});
      auto tile_keys = k.narrow(2, t.first_key, t.width);
      auto tile_values = v.narrow(2, t.first_key, t.width);
      dv.narrow(2, t.first_key, t.width).add_(at::matmul(weights.transpose(-2, -1), tile_grad));
      auto scores_grad = at::matmul(tile_grad, tile_values.transpose(-2, -1)).sub_(tile_delta).mul_(weights);
      dq.narrow(2, t.first_query, t.rows).copy_(at::matmul(scores_grad, tile_keys).view({b.batch, b.kv_heads, t.rows, b.group, b.dim}));
      dk.narrow(2, t.first_key, t.width).add_(at::matmul(scores_grad.transpose(-2, -1), queries));
    }
    // dq was taken against the scaled query; dk against scale·q already.
    return {ungrouped(dq.mul_(scale), b), dk, dv, at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

at::Tensor window_attention(const at::Tensor& q, const at::Tensor& k_in, const at::Tensor& v_in, double scale, int64_t window,
                            int64_t block) {
  Band::of(q, k_in, v_in, window, block);  // checks the inputs as given
  at::Tensor k = k_in, v = v_in;
  // Keys no query can see (older than the first query's window) are dropped before anything is copied.
  const int64_t needed = window > 0 ? std::min<int64_t>(k.size(2), q.size(2) + window - 1) : k.size(2);
  if (needed < k.size(2)) {
    k = k.narrow(2, k.size(2) - needed, needed);
    v = v.narrow(2, v.size(2) - needed, needed);
  }
  const bool needs_grad = at::GradMode::is_enabled() && (q.requires_grad() || k.requires_grad() || v.requires_grad());
  if (needs_grad) return WindowAttentionFunction::apply(q, k, v, scale, window, block);
  // Without gradients no probabilities are kept: the tiles are computed and dropped.
  const auto b = Band::of(q, k, v, window, block);
  return ungrouped(band_forward(grouped(q, b) * scale, k.contiguous(), v.contiguous(), b, nullptr), b);
}

}  // namespace

LQ_API lq_tensor lq_window_attention(lq_tensor q, lq_tensor k, lq_tensor v, double scale, int64_t window, int64_t block) {
  LQ_TENSOR(window_attention(lq::ref(q), lq::ref(k), lq::ref(v), scale, window, block))
}
