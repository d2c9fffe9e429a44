"""Training LeNet-5 on MNIST with the project's own engine: augmentation, the training loop, its report."""
