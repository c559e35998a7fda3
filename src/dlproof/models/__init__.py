"""Architectures and probabilistic models built from :mod:`dlproof.nn` and :mod:`dlproof.optim`.

One module per model family; import the one you need, e.g. ``from dlproof.models.rbm import
BernoulliRBM``. Nothing is re-exported here: importing one model must not import every other
(``dlproof show`` starts fast, and each file can be read on its own).

Every model documents its shapes and the formula it computes; every hand-written gradient or
update rule sits next to the line that computes it. Each model has its own tests in
``tests/models`` (gradcheck where differentiable, parity with an outside implementation where one
installs from PyPI as a test-time dependency; never imported at run time).
"""
