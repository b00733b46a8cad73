"""Loading and storage: exercise files, the red flags, the history, settings, where files live.

Imports the domain only; never Textual, Rich or audio.
"""
