"""``calmcoach remind``'s command: start the reminder, or ask the running one (status,
pause, resume), and install it to start at login. The reminder itself is in ``main``."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from calmcoach.data.safefile import make_private
from calmcoach.remind import autostart, control
from calmcoach.remind.main import MIN_EVERY, Reminder, local_now, log, moment_text, settings_path
from calmcoach.remind.settings import duration_text, load_settings, parse_duration


def _duration_arg(text: str, *, low: timedelta, high: timedelta, what: str) -> timedelta:
    span = parse_duration(text)
    if span is None:
        raise SystemExit(f"calmcoach: {what} wants a time such as 2h, 45m, 1h30m or 1d, not {text!r}")
    if not low <= span <= high:
        shown = f"{duration_text(low)} to {duration_text(high)}, not {duration_text(span)}"
        raise SystemExit(f"calmcoach: {what} is from {shown}")
    return span


@dataclass(frozen=True)
class RemindRequest:
    """What ``calmcoach remind`` was asked to do (parsed by calmcoach.cli)."""

    install: bool = False
    uninstall: bool = False
    status: bool = False
    pause: str | None = None
    resume: bool = False
    every: str | None = None
    now: bool = False


def cmd_remind(args: RemindRequest) -> int:
    """``calmcoach remind`` and its options."""
    try:
        return _remind(args)
    except control.StateUnusable as error:
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1


def _remind(args: RemindRequest) -> int:
    if args.install or args.uninstall:
        return _autostart(install=args.install)
    if args.status:
        return _status()
    if args.pause is not None or args.resume:
        return _pause_or_resume(args.pause)
    settings = load_settings(settings_path())
    for problem in settings.problems:
        print(f"calmcoach: {problem}", file=sys.stderr)
    if settings.problems:
        print("calmcoach: the reminder's settings have problems; using the defaults.", file=sys.stderr)
    if args.every is not None:
        every = _duration_arg(args.every, low=MIN_EVERY, high=timedelta(hours=8), what="--every")
        settings = dataclasses.replace(settings, every=every, problems=())
    no_log = _log_to_state_dir()
    if no_log is not None:
        print(f"calmcoach: {no_log}; the reminder keeps no log this time.", file=sys.stderr)
    return asyncio.run(Reminder(settings).run(once=args.now))


def _log_to_state_dir() -> str | None:
    """Log to remind.log in the state dir; a line saying why not, when it cannot."""
    path = control.private_state_dir() / "remind.log"
    try:
        # Never blocks: a FIFO there is refused. Appended to: --now may log beside a reminder.
        make_private(path)  # one made before calmcoach made its files 0600
        descriptor = control.open_state_file(path, append=True)
    except control.StateUnusable as error:
        return str(error)
    stream = open(descriptor, "a", encoding="utf-8", errors="replace")  # noqa: SIM115 (kept for the process's life)
    handler: logging.Handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return None


def _autostart(*, install: bool) -> int:
    try:
        if install:
            path = autostart.install()
            print(f"Installed {path}: calmcoach remind starts when you log in to your desktop.")
            print("To start it now as well: calmcoach remind &")
            return 0
        removed = autostart.uninstall()
    except (FileExistsError, OSError, ValueError) as error:
        print(f"calmcoach: {error}", file=sys.stderr)
        return 1
    print(f"Removed {removed}." if removed else f"Nothing to remove: there is no {autostart.entry_path()}.")
    return 0


def _ask(request: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return control.ask(request)
    except (OSError, ValueError) as error:
        print(f"calmcoach: the reminder did not answer: {error}", file=sys.stderr)
        return None


def _status() -> int:
    reply = _ask({"do": "status"})
    entry = autostart.entry_path()
    login = f"starts at login ({entry})" if autostart.is_ours(entry) else "not started at login"
    if reply is None:
        paused, problem = control.read_pause(local_now())
        if problem is not None:
            print(f"calmcoach: {problem}; ignored", file=sys.stderr)
        print(f"calmcoach remind is not running; {login}.")
        if paused is not None:
            print(f"Paused until {moment_text(paused, local_now())} (kept for when it starts).")
        return 3
    print(f"calmcoach remind is running (pid {_clean(reply.get('pid'))}); {login}.")
    print(f"Nudges {_clean(reply.get('settings'))}, via {_clean(reply.get('via'))}.")
    print(f"Now: {_clean(reply.get('now'))}.")
    return 0


def _pause_or_resume(pause: str | None) -> int:
    now = local_now()
    if pause is not None:
        span = _duration_arg(pause, low=timedelta(minutes=1), high=control.MAX_PAUSE, what="--pause")
        reply = _ask({"do": "pause", "seconds": int(span.total_seconds())})
        if reply is None:
            control.write_pause(now + span)
            until = moment_text(now + span, now)
            print(f"No reminder is running; the pause until {until} is kept for when it starts.")
            return 0
    else:
        reply = _ask({"do": "resume"})
        if reply is None:
            control.write_pause(None)
            print("No reminder is running; any pause kept for it is cleared.")
            return 0
    if "error" in reply:
        print(f"calmcoach: the reminder said: {_clean(reply['error'])}", file=sys.stderr)
        return 1
    print(f"Done. Now: {_clean(reply.get('now'))}.")
    return 0


def _clean(value: object) -> str:
    """A value from the socket, safe to print: no control characters, not too long."""
    return "".join(c for c in str(value) if c.isprintable())[:200]
