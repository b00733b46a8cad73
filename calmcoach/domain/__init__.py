"""The domain (exercises, plans, sessions in virtual time, the words shown): imports nothing outside it.

Pure Python that does no I/O; it imports nothing of calmcoach's outside this folder.
"""
