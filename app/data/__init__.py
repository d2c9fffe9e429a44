"""MNIST reading, fetching and verifying (`mnist.py` is the entry point), and drawing preprocessing."""
