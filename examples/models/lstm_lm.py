"""An LSTM language model (embedding, 2-layer LSTM, linear decoder), a few Adam steps on synthetic
token sequences, with gradient clipping.

Plain PyTorch code: ``python lstm_lm.py`` runs it on torch, ``python -m torchlike lstm_lm.py`` on
torchlike (compat_tests/test_nn_models.py compares the two from the same weights and data).
"""
import argparse

import torch
import torch.nn as nn  # noqa: PLR0402 - PyTorch's usual spelling
import torch.nn.functional as F

VOCAB = 50


class LSTMLanguageModel(nn.Module):
    def __init__(self, vocab_size=VOCAB, embed_dim=32, hidden_dim=64, num_layers=2, dropout=0.2):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)
        self.lstm = nn.LSTM(embed_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(hidden_dim, vocab_size)

    def forward(self, tokens, state=None):
        out, state = self.lstm(self.drop(self.embed(tokens)), state)
        return self.decoder(self.drop(out)), state


def make_model(dropout=0.2):
    return LSTMLanguageModel(dropout=dropout)


def make_data(batch=8, seq_len=21):
    tokens = torch.randint(1, VOCAB, (batch, seq_len))
    return tokens[:, :-1], tokens[:, 1:]


def train(model, data, steps=5, lr=3e-3):
    """``steps`` Adam steps in train mode, then one loss in eval mode; returns all the losses."""
    inputs, targets = data
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        logits, _ = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits, _ = model(inputs)
        losses.append(F.cross_entropy(logits.transpose(1, 2), targets).item())
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
