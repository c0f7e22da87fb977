# The seed document's "Practical Example: MNIST with PyTorch", unmodified (`import torch`,
# `import torchvision`), run on torchlike with:  python -m torchlike examples/mnist_torch.py
# Data: torchvision's layout under ./data/MNIST/raw (`make demo` links the shared copy there).
# One addition: MNIST_EPOCHS (default 10) sets the number of epochs, for quick runs and tests.
# ruff: noqa: I001, PLR0402, UP008  (the seed code, kept verbatim)
import os
EPOCHS = int(os.environ.get("MNIST_EPOCHS", "10"))

import torch
import torch.nn as nn
import torch.optim as optim
from torch.utils.data import DataLoader
import torchvision
import torchvision.transforms as transforms

# 1. Data loading
transform = transforms.Compose([
    transforms.ToTensor(),  # Normalize to [0, 1]
    transforms.Normalize((0.1307,), (0.3081,))  # MNIST mean, std
])
trainset = torchvision.datasets.MNIST(root='./data', train=True, download=True, transform=transform)
testset = torchvision.datasets.MNIST(root='./data', train=False, download=True, transform=transform)
trainloader = DataLoader(trainset, batch_size=64, shuffle=True)
testloader = DataLoader(testset, batch_size=64, shuffle=False)

# 2. Define model
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.flatten = nn.Flatten()
        self.layers = nn.Sequential(
            nn.Linear(28*28, 256),
            nn.ReLU(),
            nn.Dropout(0.2),
            nn.Linear(256, 128),
            nn.ReLU(),
            nn.Linear(128, 10)
        )
    
    def forward(self, x):
        x = self.flatten(x)
        return self.layers(x)

model = Net()
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
model.to(device)

# 3. Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = optim.Adam(model.parameters(), lr=0.001, weight_decay=1e-4)  # L2 regularization

# 4. Training loop
for epoch in range(EPOCHS):
    model.train()
    running_loss = 0.0
    for images, labels in trainloader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
    print(f"Epoch {epoch+1}, Loss: {running_loss/len(trainloader):.4f}")

# 5. Evaluation
model.eval()
correct = 0
total = 0
with torch.no_grad():
    for images, labels in testloader:
        images, labels = images.to(device), labels.to(device)
        outputs = model(images)
        _, predicted = torch.max(outputs, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()
print(f"Test Accuracy: {100 * correct / total:.2f}%")

# 6. Save model
torch.save(model.state_dict(), 'mnist_pytorch.pth')
