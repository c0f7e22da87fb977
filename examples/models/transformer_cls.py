"""A Transformer encoder classifier (token + learned position embeddings, 2 encoder layers, masked
mean pooling), a few AdamW steps on synthetic variable-length sequences.

Plain PyTorch code: ``python transformer_cls.py`` runs it on torch, ``python -m torchlike
transformer_cls.py`` on torchlike (compat_tests/test_nn_models.py compares the two from the same
weights and data).
"""
import argparse

import torch
import torch.nn as nn  # noqa: PLR0402 - PyTorch's usual spelling
import torch.nn.functional as F

VOCAB, MAX_LEN, CLASSES = 40, 16, 3


class TransformerClassifier(nn.Module):
    def __init__(self, d_model=32, nhead=4, num_layers=2, dropout=0.1):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model, padding_idx=0)
        self.pos = nn.Parameter(torch.zeros(1, MAX_LEN, d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=64, dropout=dropout,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers, norm=nn.LayerNorm(d_model),
                                             enable_nested_tensor=False)
        self.head = nn.Linear(d_model, CLASSES)

    def forward(self, tokens):
        pad = tokens == 0
        x = self.embed(tokens) + self.pos[:, :tokens.size(1)]
        x = self.encoder(x, src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).to(x.dtype)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        return self.head(pooled)


def make_model(dropout=0.1):
    return TransformerClassifier(dropout=dropout)


def make_data(batch=8):
    tokens = torch.randint(1, VOCAB, (batch, MAX_LEN))
    lengths = torch.randint(4, MAX_LEN + 1, (batch,))
    tokens = tokens.masked_fill(torch.arange(MAX_LEN) >= lengths.unsqueeze(1), 0)
    labels = torch.randint(0, CLASSES, (batch,))
    return tokens, labels


def train(model, data, steps=5, lr=1e-3):
    """``steps`` AdamW steps in train mode; returns the losses."""
    tokens, labels = data
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(tokens), labels, label_smoothing=0.1)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=5)
    args = p.parse_args()
    torch.manual_seed(0)
    model = make_model()
    losses = train(model, make_data(), steps=args.steps)
    print(model)
    print("losses:", " ".join(f"{v:.4f}" for v in losses))


if __name__ == "__main__":
    main()
