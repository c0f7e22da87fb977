"""A small CNN with BatchNorm and pooling, trained a few SGD steps on synthetic images.

Plain PyTorch code: ``python cnn_bn.py`` runs it on torch, ``python -m torchlike cnn_bn.py`` on
torchlike (compat_tests/test_nn_models.py compares the two from the same weights and data).
"""
import argparse

import torch
import torch.nn as nn  # noqa: PLR0402 - PyTorch's usual spelling
import torch.nn.functional as F


class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(16, 32, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(inplace=True),
            nn.AvgPool2d(2),
        )
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(0.0)
        self.fc = nn.Linear(32, num_classes)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(self.dropout(F.hardtanh(torch.flatten(x, 1), -3.0, 3.0)))


def make_model(dropout=0.25):
    model = ConvNet()
    model.dropout.p = dropout
    return model


def make_data(batch=16):
    x = torch.randn(batch, 3, 16, 16)
    y = torch.randint(0, 10, (batch,))
    return x, y


def train(model, data, steps=5, lr=0.05):
    """``steps`` SGD steps in train mode, then one loss in eval mode; returns all the losses."""
    x, y = data
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=1e-4)
    criterion = nn.CrossEntropyLoss()
    model.train()
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        losses.append(criterion(model(x), y).item())
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
