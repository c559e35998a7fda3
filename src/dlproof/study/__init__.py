"""Study mode: FSRS spaced repetition over the SQLite store, terminal quiz, exports."""
