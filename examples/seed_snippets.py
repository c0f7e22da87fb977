"""The snippets of the seed document (../shared/SEED_PYTORCH_NOTES.md), run with only the import
changed. tests/test_seed_snippets.py runs this file with torchlike and with real torch (the import
line swapped) and checks that both print the same. Random values are printed only through
shapes/dtypes (the generators differ); the MNIST training example is examples/mnist.py."""

import os
import tempfile

import numpy as np

import torchlike as torch
import torchlike.nn as nn
import torchlike.optim as optim
from torchlike.utils.data import DataLoader, TensorDataset

# Tensors
a = torch.tensor([[1, 2], [3, 4]])  # 2x2 tensor
b = torch.zeros(3, 2)               # 3x2 tensor of zeros
c = torch.randn(2, 2)               # random values from N(0, 1)
print(a.shape, a.dtype, a.device)
print(b)
print(c.shape, c.dtype)

# Autograd
x = torch.tensor(2.0, requires_grad=True)
y = x**2  # y = x^2
y.backward()  # compute dy/dx
print(x.grad)  # tensor(4.)
print(y, y.detach())

# Operations
a = torch.tensor([[1, 2], [3, 4]])
b = torch.tensor([[5, 6], [7, 8]])
c = torch.matmul(a, b)  # matrix multiplication
print(c)  # tensor([[19, 22], [43, 50]])
print(torch.add(a, b), a.reshape(4), torch.reshape(b, (1, 4)))
v = torch.zeros(2, 3)
v.add_(1)  # in-place
v[0].mul_(5)  # through a view
print(v)


# torch.nn
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.fc1 = nn.Linear(784, 128)  # Fully connected layer
        self.fc2 = nn.Linear(128, 10)   # Output layer

    def forward(self, x):
        x = torch.relu(self.fc1(x))     # ReLU activation
        x = self.fc2(x)                 # Raw logits
        return x


model = Net()
print(model)
print([(k, tuple(p.shape)) for k, p in model.state_dict().items()])


class MyActivation(nn.Module):
    def forward(self, x):
        return torch.tanh(x) + 1


print(MyActivation()(torch.tensor([0.0, 1.0])))
criterion = nn.CrossEntropyLoss()
print(nn.MSELoss()(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 2.5])))

# Data, training loop, clipping, evaluation
rng = np.random.default_rng(0)
x_train = rng.standard_normal((96, 784)).astype(np.float32)
y_train = rng.integers(0, 10, 96)
data = TensorDataset(torch.tensor(x_train), torch.tensor(y_train))
loader = DataLoader(data, batch_size=32, shuffle=False)
with torch.no_grad():  # the same start as in torch: weights from a fixed numpy draw
    for p in model.parameters():
        p.copy_(torch.tensor(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.05))
optimizer = optim.Adam(model.parameters(), lr=0.001)
for epoch in range(2):
    model.train()
    running_loss = 0.0
    for inputs, labels in loader:
        optimizer.zero_grad()
        outputs = model(inputs)
        loss = criterion(outputs, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        running_loss += loss.item()
    print(f"Epoch {epoch+1}, Loss: {running_loss/len(loader):.4f}")
model.eval()
correct = 0
total = 0
with torch.no_grad():
    for inputs, labels in loader:
        outputs = model(inputs)
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
print(f"Accuracy: {100 * correct / total:.2f}%")

# Mixed precision (on a machine without CUDA both torch and torchlike warn and run in float32)
import warnings  # noqa: E402

from torchlike.cuda.amp import GradScaler, autocast  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    scaler = GradScaler()
    for inputs, labels in loader:
        optimizer.zero_grad()
        with autocast():  # Mixed precision
            outputs = model(inputs)
            loss = criterion(outputs, labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
print(f"AMP loss: {loss.item():.4f}, scaler enabled: {scaler.is_enabled()}")

# Visualisation: numpy (and so matplotlib) accepts tensors
img = next(iter(loader))[0][0]
print(np.asarray(img.reshape(28, 28)).shape)

# Device handling
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
model.to(device)
inputs, labels = inputs.to(device), labels.to(device)
print(device, inputs.device)

# Saving and loading
path = os.path.join(tempfile.mkdtemp(), 'model.pth')
torch.save(model.state_dict(), path)
model.load_state_dict(torch.load(path))
model.eval()
print(sorted(torch.load(path)))
