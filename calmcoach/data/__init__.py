"""Loading and storage (exercise files, red flags, history, settings, locations): imports the domain only.

Imports the domain only; never Textual, Rich or audio.
"""
