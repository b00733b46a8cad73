"""Sessions: ``run ID``, ``flare [AREA]`` and ``calmcoach`` alone (the library), in the
app or, with ``--plain`` or no terminal for the app, as plain lines of text.

The app, the sound and plain mode load only when a session starts.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from calmcoach import __version__
from calmcoach.cli import terminal
from calmcoach.cli.common import err
from calmcoach.cli.exercises import print_library
from calmcoach.cli.options import AREA_HELP, add_session_options, options_from
from calmcoach.cli.planning import Planned, plan_from_options
from calmcoach.domain.describe import SafetyNotes, safety_notes
from calmcoach.domain.visible import visible

if TYPE_CHECKING:
    import argparse

    from calmcoach.audio.voice import VoicePlan
    from calmcoach.cli.common import Subparsers
    from calmcoach.data.loader import Library
    from calmcoach.domain.model import Exercise
    from calmcoach.domain.planner import Timeline
    from calmcoach.services.launch import RunOptions, SessionSetup


def add_parser(subparsers: Subparsers) -> None:
    """``run`` and ``flare``. (``calmcoach`` alone is the parser's own default: ``cmd_app``.)"""
    import argparse

    p = subparsers.add_parser("run", help="run an exercise")
    p.add_argument("id")
    add_session_options(p)
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser("flare", help="start the flare routine: breathe, release, shift attention")
    p.add_argument(
        "area", nargs="?", metavar="AREA", default=argparse.SUPPRESS, help=f"where the twitch is: {AREA_HELP}"
    )
    add_session_options(p, minutes=False, area=False)
    p.set_defaults(func=cmd_flare)


def cmd_run(args: argparse.Namespace) -> int:
    options = options_from(args)
    exercise_id = args.id
    plain = options.plain or terminal.app_cannot_start() is not None
    how = f"calmcoach run {exercise_id} --area {{area}}"
    planned = plan_from_options(options, exercise_id, ask_area=how if plain else None)
    if isinstance(planned, int):
        return planned
    if plain:
        return run_plain(planned, options)
    return run_app(options)


def run_plain(planned: Planned, options: RunOptions) -> int:
    import contextlib

    from calmcoach.audio.process import READY_TIMEOUT
    from calmcoach.cli.plain import PlainRunner
    from calmcoach.data import logfile
    from calmcoach.services import launch

    if logfile.start() is None and logfile.not_kept:
        err(logfile.not_kept)
    logfile.log.info("calmcoach %s: a plain run of %s", __version__, planned[0].exercise_id)

    def say(text: str) -> None:
        logfile.log.info("told: %s", visible(text))
        # After a hangup (SIGHUP) there is no terminal left to read this.
        with contextlib.suppress(OSError):
            print(f"  ({text})", flush=True)

    timeline, exercise, library = planned
    if launch.asks_for_taps(exercise):
        from calmcoach.cli.plain import ask_taps
        from calmcoach.domain.planner import PlanError

        try:
            # The safety notes before the taps, not after them (and not twice).
            breath = ask_taps(exercise, notes=exercise.safety)
            planned = Planned(
                launch.plan_tapped(exercise, options.plan_options, library.exercises, breath),
                exercise,
                library,
            )
        except KeyboardInterrupt:
            return 130
        except PlanError as error:
            err(str(error))
            return 1
        timeline = planned.timeline
    recorder = launch.open_recorder(options, say)
    cues = launch.make_cues(options)
    code = 1
    try:
        setup, voice = _setup_for_plain(options, planned, say)
        prepared = launch.prepare(setup, voice, cues, recorder)
        cues.wait_ready(READY_TIMEOUT)
        runner = PlainRunner.conducting(
            prepared, notes=_notes_left(exercise, timeline, library), exercises=library.exercises
        )
        code = runner.run()
        return code
    finally:
        recorder.close()
        cues.close(drain=code == 0)
        notice = cues.take_notice()
        if notice:
            say(notice)


def _notes_left(exercise: Exercise, timeline: Timeline, library: Library) -> SafetyNotes:
    """The safety notes the run prints: a tapped start's own came before its taps."""
    import dataclasses

    from calmcoach.services import launch

    notes = safety_notes(exercise, timeline, library.exercises)
    if not launch.asks_for_taps(exercise):
        return notes
    return dataclasses.replace(notes, start=tuple(n for n in notes.start if n not in exercise.safety))


def _setup_for_plain(
    options: RunOptions, planned: Planned, say: Callable[[str], None]
) -> tuple[SessionSetup, VoicePlan]:
    """The session and its spoken lines, rendered now (before the first step) where the
    person's own exercise needs it, with a line on each thing worth knowing."""
    from calmcoach.audio.voice import Voices
    from calmcoach.data import settings as user_settings
    from calmcoach.services import launch

    timeline, _exercise, library = planned
    setup = launch.decide(options, timeline, library.exercises, user_settings.load().voice)
    voices = Voices()
    if launch.needs_rendering(setup, voices):
        say("getting the spoken lines of your own exercise ready (made once, then kept)")
    plan = launch.voice_for(setup, voices)
    if plan.notice:
        say(plan.notice)
    if setup.voice and plan.keys:
        say("voice on: each step is spoken; --no-voice turns it off")
    return setup, plan


def library_instead_of_app(problem: str) -> int:
    """Where the app cannot run: the library as ``calmcoach list`` prints it, and one line
    (on standard error, so the list stays clean for a pipe) on what to do instead."""
    code = print_library(as_json=False)
    err(f"{problem}, so the app did not open. Run an exercise as text with: calmcoach run ID --plain")
    return code


def cmd_app(args: argparse.Namespace) -> int:
    """``calmcoach`` with options and no command: the library."""
    return run_app(options_from(args))


def run_app(options: RunOptions | None) -> int:
    """Open the app; without a terminal that can show it, print the library instead."""
    problem = terminal.app_cannot_start()
    if problem is not None:
        return library_instead_of_app(problem)
    from calmcoach.data import logfile
    from calmcoach.ui.app import make_app

    logfile.start()
    start = None if options is None else options.exercise or ("flare" if options.flare else None)
    logfile.log.info("calmcoach %s: the app starts (%s)", __version__, start or "home")
    app = make_app(options)
    if os.environ.get("CALMCOACH_DESKTOP_SPARE"):  # calmcoach.desktop.spare.SPARE, unimported
        from calmcoach.desktop.spare import await_page, is_spare

        if is_spare() and not await_page():
            logfile.log.info("the desktop's spare app ended: no page came")
            return 0
    try:
        app.run()
    except Exception:
        logfile.log.exception("the app stopped with an error")
        raise
    logfile.log.info("the app ended with exit code %s", app.return_code or 0)
    if logfile.not_kept:  # said once the app has given the terminal back
        import contextlib

        with contextlib.suppress(OSError):
            err(logfile.not_kept)
    if app.history_unsaved:
        import contextlib

        with contextlib.suppress(OSError):  # after a hangup there is no terminal to say it on
            err(app.history_unsaved)
    return app.return_code or 0


def cmd_flare(args: argparse.Namespace) -> int:
    options = options_from(args)
    if options.plain or terminal.app_cannot_start() is not None:
        planned = plan_from_options(options, "flare", ask_area="calmcoach flare {area}")
        if isinstance(planned, int):
            return planned
        return run_plain(planned, options)
    return run_app(options)
