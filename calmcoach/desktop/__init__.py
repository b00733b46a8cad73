"""The desktop shell: calmcoach's Textual app served to a local window.

``launch`` serves the app with textual-serve on 127.0.0.1 and opens a window;
``entries`` writes and removes the freedesktop launchers. Nothing here is imported
unless ``calmcoach desktop`` runs, so the terminal app never pays for it.
"""
