"""dlproof's benchmark suite: the engine against PyTorch CPU on identical work.

Run ``python -m bench --help`` from the repository root (a source checkout: this package is not
installed with dlproof). See BENCHMARKS.md for the latest numbers and the method.
"""
