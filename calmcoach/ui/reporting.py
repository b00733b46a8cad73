"""The report for the doctor, made from the history screen (its ``d`` key).

The report reads the whole history and renders a PDF, which for a long journal takes a
second or two: that happens in a thread, so the app keeps drawing and taking keys. Then
the app says where the file is and, where a desktop could show it (a display, and
``xdg-open`` on the PATH), offers to open it.

The history and the report's modules are imported when the key is pressed: the app's
first frame never waits for them (or for sqlite3 and fpdf2).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from calmcoach.data import locations
from calmcoach.domain.visible import visible
from calmcoach.ui.threads import from_threads

if TYPE_CHECKING:
    from textual.screen import Screen

    from calmcoach.ui.app import CalmApp

log = logging.getLogger("calmcoach.ui")

GROUP = "doctor-report"
"""The workers' group: one report at a time."""
TITLE = "Report for the doctor"


def report_for_the_doctor(app: CalmApp, history: Path) -> None:
    """Write the report of the history at ``history`` to the documents folder, in a thread;
    then say where, and offer to open it. A second press while one is being written is
    told so, and changes nothing."""
    if any(worker.group == GROUP and not worker.is_finished for worker in app.workers):
        app.tell("The report is still being written.", title=TITLE, timeout=3)
        return
    app.tell("Writing the report…", title=TITLE, timeout=2)
    app.run_worker(_write(app, history, locations.documents_dir(), app.screen), group=GROUP)


async def _write(app: CalmApp, history: Path, documents: Path, asked_on: Screen[Any]) -> None:
    from calmcoach.data.history import HistoryUnavailable
    from calmcoach.services.report import write_to_documents

    try:
        path = await asyncio.to_thread(write_to_documents, history, documents)
    except HistoryUnavailable as error:
        log.warning("report for the doctor: the history could not be read", exc_info=error)
        # The store's sentence says its history is off; the app's own stays on.
        said = str(error).replace("; history is off", "")
        app.tell(f"No report was made: {said}", title=TITLE, severity="error", timeout=10)
        return
    except OSError as error:
        # A documents folder that cannot be made or written to, a full disk.
        log.warning("report for the doctor: could not write to %s", visible(str(documents)), exc_info=error)
        where = visible(error.filename if isinstance(error.filename, str) else str(documents))
        app.tell(f"No report was made: {where}: {reason(error)}", title=TITLE, severity="error", timeout=10)
        return
    except Exception as error:  # a bug in rendering: said in one line, the details in the log
        log.exception("report for the doctor: it could not be made")
        app.tell(
            f"No report was made ({type(error).__name__}); the log has the details.",
            title=TITLE,
            severity="error",
            timeout=10,
        )
        return
    shown = visible(str(path))
    program = opener()
    # The offer comes over the history screen only: never over a session started meanwhile.
    if program is None or not app.is_running or app.screen is not asked_on:
        app.tell(f"Written to {shown}", title=TITLE, timeout=10)
        return
    from calmcoach.ui.screens.choice import Choice, ChoiceScreen

    log.info("report for the doctor: written to %s; offered to open it", shown)

    def chosen(answer: str | None) -> None:
        if answer == "open":
            open_file(app, program, path)

    app.push_screen(
        ChoiceScreen(
            f"The report for the doctor is in {shown}",
            [Choice("open", "Open it", "o"), Choice("close", "Close", "c")],
            default="open",
        ),
        chosen,
    )


def reason(error: OSError) -> str:
    """Why, in the system's words (control characters made visible)."""
    return visible(error.strerror or str(error))


def opener() -> str | None:
    """``xdg-open``'s path where a desktop can show a file (a display, and the program on
    the PATH); None elsewhere (over SSH, on a console)."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return None
    return shutil.which("xdg-open")


def open_file(app: CalmApp, program: str, path: Path) -> None:
    """Start ``program`` on ``path``, detached from calmcoach's terminal and session, never
    through a shell and never waited for on the app's loop. A failure to start it, or its
    saying it could not, is one notice."""
    # An absolute path: a name that starts with "-" cannot be read as an option.
    command = [program, str(path.absolute())]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as error:
        log.warning("report for the doctor: %s could not be started", program, exc_info=error)
        app.tell(f"The report could not be opened: {reason(error)}", title=TITLE, severity="warning")
        return

    def failed() -> None:
        if app.is_running:
            app.tell(
                f"The report could not be opened ({visible(program)} ended with {process.returncode}); "
                "it is in your documents folder.",
                title=TITLE,
                severity="warning",
            )

    say_failed = from_threads(failed)

    def wait() -> None:
        # Reaped here, so no zombie is left; xdg-open may wait for as long as the viewer runs.
        if process.wait() != 0:
            log.warning("report for the doctor: %s ended with %s", program, process.returncode)
            if say_failed is not None:
                say_failed()

    threading.Thread(target=wait, name="calmcoach-report-opener", daemon=True).start()
