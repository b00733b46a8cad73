"""Services below every shell: the conductor, the recorder, the app's presence for the reminder.

Imports audio, data and the domain; never Textual or Rich.
"""
