"""Audit: the auditors' own service and tools. It proves from the event streams (and, with read access,
the services' books and the bank's statements) that every fen went to an eligible, approved case exactly
once and every kit to a registered worker, and says so the moment an invariant breaks."""
