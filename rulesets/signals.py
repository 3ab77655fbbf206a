"""Sent once a transaction that published or retired a ruleset version commits.

Anything a process caches from resolving flow steps listens to it (decisioning/flows.py).
"""

from django.dispatch import Signal

# kwargs: ruleset_id, version_id
ruleset_version_published = Signal()
