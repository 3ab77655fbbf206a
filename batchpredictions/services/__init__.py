"""Batch predictions' business verbs: jobs.py (submit, download, expire; it queues the tasks) and
chunks.py (what a worker runs for one chunk)."""
