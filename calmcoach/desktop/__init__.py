"""The desktop shell, the app served to a local window: imports services and below, never ui or remind.

``launch`` serves the app with textual-serve on 127.0.0.1 and opens a window;
``entries`` writes and removes the freedesktop launchers. Nothing here is imported
unless ``calmcoach desktop`` runs, so the terminal app never pays for it.
"""
