"""Local web app: server-rendered pages over the handbook, experiments and study mode."""
