"""A GPT written the ordinary PyTorch way, for the side-by-side benchmarks (benchmarks/compare.sh).

Written from GPT-2's definition, not from Liquid's C#: pre-LN residual blocks, one fused q|k|v
Linear, causal softmax attention, a GELU MLP of width 4·d, a final LayerNorm and a head tied to the
token embedding. Dropout sits where GPT-2 has it (embeddings, attention weights, both residual
branches). Incremental decoding keeps (k, v) per layer and grows it with torch.cat, as the usual
Python decoding loops do.

The attention module also takes kv_heads (grouped-query attention, keys and values repeated to
the query heads as in Hugging Face's Llama) and a sliding window, for the layer benchmarks. Every
module is TorchScript-compatible: compare.py runs each case eager and under torch.jit.script.
"""
import math
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F


class CausalSelfAttention(nn.Module):
    def __init__(self, d: int, heads: int, kv_heads: Optional[int] = None, window: Optional[int] = None,
                 context: int = 1024, dropout: float = 0.0, bias: bool = True):
        super().__init__()
        self.heads = heads
        self.kv_heads = kv_heads if kv_heads is not None else heads
        self.head_dim = d // heads
        self.qkv = nn.Linear(d, (heads + 2 * self.kv_heads) * self.head_dim, bias=bias)
        self.proj = nn.Linear(heads * self.head_dim, d, bias=bias)
        self.attn_dropout = nn.Dropout(dropout)
        self.resid_dropout = nn.Dropout(dropout)
        # allowed[i, j]: query i may see key j (j <= i, and j > i - window with a window).
        allowed = torch.ones(context, context).tril().bool()
        if window is not None:
            allowed = allowed & ~torch.ones(context, context).tril(-window).bool()
        self.windowed = window is not None
        self.register_buffer("allowed", allowed.view(1, 1, context, context), persistent=False)

    def forward(self, x: torch.Tensor, past: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
                ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        B, T, _ = x.size()
        q, k, v = self.qkv(x).split([self.heads * self.head_dim, self.kv_heads * self.head_dim,
                                    self.kv_heads * self.head_dim], dim=2)
        q = q.view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        S = k.size(2)
        if self.kv_heads != self.heads:
            group = self.heads // self.kv_heads
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
        if T > 1 or self.windowed:  # one new query sees every cached key unless a window hides some
            att = att.masked_fill(~self.allowed[:, :, S - T:S, :S], float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, self.heads * self.head_dim)
        return self.resid_dropout(self.proj(y)), present


class Mlp(nn.Module):
    def __init__(self, d: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.fc = nn.Linear(d, hidden)
        self.proj = nn.Linear(hidden, d)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    def __init__(self, d: int, heads: int, context: int, dropout: float):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = CausalSelfAttention(d, heads, context=context, dropout=dropout)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = Mlp(d, 4 * d, dropout)

    def forward(self, x: torch.Tensor, past: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
                ) -> Tuple[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]:
        h, present = self.attn(self.ln_1(x), past)
        x = x + h
        x = x + self.mlp(self.ln_2(x))
        return x, present


class Gpt(nn.Module):
    def __init__(self, vocab: int, context: int, d: int, layers: int, heads: int, dropout: float):
        super().__init__()
        self.context = context
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(context, d)
        self.drop = nn.Dropout(dropout)
        self.h = nn.ModuleList([Block(d, heads, context, dropout) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        for name, p in self.named_parameters():
            if name.endswith("weight") and p.dim() == 2:
                nn.init.normal_(p, 0.0, 0.02)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        T = idx.size(1)
        pos = torch.arange(0, T, dtype=torch.long, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        for block in self.h:
            x, _ = block(x, None)
        return self.lm_head(self.ln_f(x))

    @torch.jit.export
    def forward_cached(self, idx: torch.Tensor, past: List[Tuple[torch.Tensor, torch.Tensor]]
                       ) -> Tuple[torch.Tensor, List[Tuple[torch.Tensor, torch.Tensor]]]:
        """Incremental decoding: `past` holds (k, v) per layer (empty on the first call)."""
        T = idx.size(1)
        start = past[0][0].size(2) if len(past) > 0 else 0
        pos = torch.arange(start, start + T, dtype=torch.long, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))
        presents: List[Tuple[torch.Tensor, torch.Tensor]] = []
        i = 0
        for block in self.h:
            x, present = block(x, past[i] if len(past) > 0 else None)
            presents.append(present)
            i += 1
        return self.lm_head(self.ln_f(x)), presents
