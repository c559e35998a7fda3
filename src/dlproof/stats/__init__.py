"""Classical statistical methods used as baselines and as evidence: decompositions, mixtures,
Bayesian estimators, samplers, information measures.

One module per family; import the one you need, e.g. ``from dlproof.stats.sampling import
gibbs_chain``. Nothing is re-exported here (fast start-up, files that stand alone). Each function
documents shapes and the formula it computes, and has tests in ``tests/stats`` against an outside
reference (scipy, scikit-learn) or an exact answer on a small case.
"""
