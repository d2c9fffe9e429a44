"""Kernels and the soft-margin SVM in pure NumPy, written to be read: Gram matrices (kernels.py) and a dual solver
(svm.py), the engine of the /kernels page and of POST /api/svm."""
