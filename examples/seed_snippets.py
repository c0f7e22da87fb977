"""The snippets of the seed document (../shared/SEED_PYTORCH_NOTES.md), run with only the import
changed. Each prints what PyTorch prints. The MNIST training example lives in examples/mnist.py
once torchlike.nn, optim and utils.data are in place."""

import torchlike as torch

# Tensors
a = torch.tensor([[1, 2], [3, 4]])  # 2x2 tensor
b = torch.zeros(3, 2)               # 3x2 tensor of zeros
torch.manual_seed(0)
c = torch.randn(2, 2)               # random values from N(0, 1)
print(a.shape, a.dtype, a.device)
print(b)
print(c.shape, c.dtype)

# Autograd
x = torch.tensor(2.0, requires_grad=True)
y = x**2  # y = x^2
y.backward()  # compute dy/dx
print(x.grad)  # tensor(4.)

# Operations
a = torch.tensor([[1, 2], [3, 4]])
b = torch.tensor([[5, 6], [7, 8]])
c = torch.matmul(a, b)  # matrix multiplication
print(c)  # tensor([[19, 22], [43, 50]])

# In-place ops and views
v = torch.zeros(2, 3)
v.add_(1)
v[0].mul_(5)
print(v)

# Device handling
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
print(device, v.to(device).device)
