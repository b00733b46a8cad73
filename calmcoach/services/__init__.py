"""Services under every shell (setup, conductor, recorder, report, presence): import audio, data, domain.

Imports audio, data and the domain; never Textual or Rich.
"""
