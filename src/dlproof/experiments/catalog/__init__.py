"""One module per experiment; each registers itself with ``@experiment`` on import."""
