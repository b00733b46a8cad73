"""The native window (pywebview), run as ``python -m calmcoach.desktop.native``.

Reads the page's address from standard input, shows it, prints ``window shown`` once
the window is on the screen, and exits when the window is closed."""

from __future__ import annotations

import sys

from calmcoach.desktop.window import OPENED


def main() -> int:
    import webview

    url = sys.stdin.readline().strip()
    window = webview.create_window("calmcoach", url, width=960, height=640, min_size=(480, 320))
    if window is None:
        return 1

    def shown() -> None:
        print(OPENED, flush=True)

    window.events.shown += shown
    webview.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
