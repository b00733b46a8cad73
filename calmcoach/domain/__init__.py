"""The domain: exercises, plans and sessions in virtual time.

Pure Python that does no I/O; it imports nothing of calmcoach's outside this folder.
"""
