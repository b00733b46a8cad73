"""The session screen: pacer, instruction, countdown, steps and progress."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.notifications import SeverityLevel
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option, OptionDoesNotExist

from calmcoach.domain.describe import (
    clock_text,
    count_text,
    plural,
    session_heading,
    time_left_change,
    time_left_text,
)
from calmcoach.domain.model import Kind, Pace
from calmcoach.domain.planner import Segment
from calmcoach.domain.session import Event, Session, SessionFinished, State
from calmcoach.services.conductor import Conductor
from calmcoach.ui.screens import CalmScreen
from calmcoach.ui.widgets.countdown import Countdown
from calmcoach.ui.widgets.keybar import KeyBar
from calmcoach.ui.widgets.notice import NoticeLine
from calmcoach.ui.widgets.pacer import Pacer
from calmcoach.ui.widgets.rating import RatingKeys

if TYPE_CHECKING:
    from calmcoach.domain.model import Exercise

FRAME = 1 / 30
"""Longest gap between reads while the pacer moves (the redraw interval)."""
IDLE_WAKE = 1.0
"""Longest single wait between reads (well under the session's suspend gap)."""
APPROACH = 0.05
"""How far ahead of a step boundary the last wait before it starts."""
CAUTION_LINGER = 0.5
"""Seconds a part's safety note stays into the step after the part's beginning. Taking it
away lays the screen out again; done at the boundary itself, it made that step's frame
reach the terminal 20 to 35 ms late (issue 16's pty timing: the worst boundaries of a run)."""
RATING_WINDOW = 10.0
"""For how many seconds at the start the "how tense are you" hint shows."""
RATING_HINT = "Optional: how tense are you now? Press 0 to 10 (1 then 0 for 10)."
RATING_HINT_SHORT = "How tense now? 0 to 10 (1 then 0: 10)"
BAR_WIDTH = 40
"""The progress bar's width when there is room for it."""
LEFT_WIDTH = len("  under a minute left")
"""Room kept beside the bar for the time left, so the bar does not jump as it changes."""


class SessionScreen(CalmScreen):
    """Runs one planned session: the screen reads the session's clock, never counts ticks."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "pause", "Pause", id="session.pause", tooltip="Pause; goes on past a prompt"),
        Binding("space", "resume", "Resume", id="session.resume", tooltip="Go on from where you paused"),
        # On a step that waits for you, space means "done", and the key bar says so.
        Binding("space", "done", "Done", id="session.done", tooltip="Go on: you are done with this step"),
        Binding(
            "enter",
            "go_on",
            "Go on",
            show=False,
            id="session.continue",
            tooltip="Go on past a step that waits for you",
        ),
        Binding("n,right", "next_step", "Next", id="session.next", tooltip="Skip to the next step"),
        Binding(
            "b,left",
            "previous_step",
            "Back",
            id="session.previous",
            tooltip="Back to the start of this step, or the one before",
        ),
        Binding(
            "p",
            "next_part",
            "Next part",
            id="session.nextpart",
            tooltip="Go straight to the next part of the routine (from the breathing to the release)",
        ),
        Binding("m", "mute", "Mute", id="session.mute", tooltip="Turn the sound cues and the voice off"),
        Binding("m", "unmute", "Unmute", id="session.unmute", tooltip="Turn the sound cues and the voice on"),
        Binding(
            "v",
            "voice",
            "Voice",
            id="session.voice",
            tooltip="Turn the spoken guidance off or on (remembered for next time)",
        ),
        Binding("q,escape", "stop", "Stop", id="session.stop", tooltip="End the session and see the summary"),
        Binding(
            "exclamation_mark",
            "app.red_flags",
            "Doctor?",
            id="session.redflags",
            tooltip="When to see a doctor; the session pauses while it is open",
        ),
        Binding("question_mark", "app.help", "Help", id="session.help", tooltip="Keys and safety"),
        *[
            Binding(
                str(n),
                f"rate_before({n})",
                show=False,
                id=f"session.rate{n}",
                tooltip=f"How tense you feel now: {n} of 10 (1 then 0 for 10)",
            )
            for n in range(10)
        ],
        Binding(
            "t", "rate_before_ten", show=False, id="session.rate10", tooltip="How tense you feel now: 10"
        ),
    ]

    class VoiceChanged(Message):
        """The person turned the voice on or off with the voice key."""

        def __init__(self, on: bool) -> None:
            super().__init__()
            self.on = on

    class Ended(Message):
        """The session finished or was stopped: its summary is next."""

        def __init__(self, session: Session) -> None:
            super().__init__()
            self.session = session

    def __init__(
        self,
        conductor: Conductor,
        *,
        exercises: Mapping[str, Exercise],
        reduced_motion: bool = False,
        cautions: Mapping[int, str] | None = None,
        cell_aspect: float = 2.0,
    ) -> None:
        super().__init__()
        self.conductor = conductor
        """Runs the session: every control goes through it, so cues and history follow."""
        self.session = conductor.session
        self.timeline = conductor.timeline
        self.exercises = exercises
        """The library's exercises, for the heading's part names."""
        self.cautions: Mapping[int, str] = cautions or {}
        """A short safety note for each part (by part number), shown as that part begins."""
        self.reduced_motion = reduced_motion
        """A still pacer: no motion at all."""
        self.cell_aspect = cell_aspect
        """A cell's height over its width here, so the pacer is drawn round."""
        self._handle: asyncio.TimerHandle | None = None
        self._suspended_pause = False
        self._covered_pause = False
        """Paused because another screen (help, the red flags) opened over this one."""
        self._shown: dict[str, object] = {}
        self.rating_before: int | None = None
        """How tense the person said they felt at the start (optional)."""
        self.rating_keys = RatingKeys()
        """Digit keys to ratings: ``1`` then ``0`` soon after is 10."""
        self._bar_width = BAR_WIDTH

    def compose(self) -> ComposeResult:
        with Vertical(id="session-top"):
            yield Static(id="heading", markup=False)
        yield Static(id="caution", markup=False)
        if any(p.kind is not Kind.BREATHING for p in self.timeline.parts):
            with Horizontal(id="session-body"):
                # In a box of its own: painted again only when it changes, not with the countdown.
                with Vertical(id="steps-box"):
                    steps = OptionList(*self._step_options(), id="steps", markup=False)
                    steps.can_focus = False
                    yield steps
                yield from self._main()
        else:
            yield from self._main()
        # The screen's own children are all painted again whenever anything on it changes:
        # the fewer there are, the less the countdown's every second costs.
        with Vertical(id="session-foot"):
            yield NoticeLine(id="notice")
            yield Static(id="progress", markup=False)
            yield KeyBar()

    def on_mount(self) -> None:
        # Widgets read on every tick, looked up once.
        self._pacer = self.query_one(Pacer)
        self._countdown = self.query_one(Countdown)
        self._hint = self.query_one("#hint", Static)
        self._heading_line = self.query_one("#heading", Static)
        self._progress = self.query_one("#progress", Static)
        self._caution = self.query_one("#caution", Static)
        self._say = self.query_one("#say", Static)
        # Immediate: the session must pause before the process stops, not after.
        self.app.app_suspend_signal.subscribe(self, self._on_suspend, immediate=True)
        self.app.app_resume_signal.subscribe(self, self._on_resume, immediate=True)
        # A notice raised before the session (a file error on home) does not follow it here.
        self.app.clear_notifications()
        self._apply(self.conductor.start())
        self._refresh_view()
        self._arm()

    def on_unmount(self) -> None:
        self._cancel()
        if self.session.active:
            self.conductor.stop()  # recorded as stopped, with the time really spent

    def on_resize(self) -> None:
        small = self.size.height < 18 or self.size.width < 60
        self.set_class(small, "-small")
        # The bar gives way to the time left on a narrow screen (#progress pads one cell a side).
        self._bar_width = max(0, min(BAR_WIDTH, self.size.width - 2 - LEFT_WIDTH))
        if self.is_attached and self.session.active:
            self._refresh_view()
            self._arm()

    def on_screen_suspend(self) -> None:
        """Another screen opened over this one (help, the red flags): pause until it closes."""
        if self.session.state is State.RUNNING:
            self._covered_pause = True
            self._after_action(self.conductor.pause())

    def on_screen_resume(self) -> None:
        if self._covered_pause:
            self._covered_pause = False
            self._after_action(self.conductor.resume())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show what space does now (Pause, Resume, or Done on a step that waits), and Mute
        or Unmute; Next part only in a program."""
        paused = self.session.state is State.PAUSED
        waiting = self.session.waiting and not paused
        if action == "pause":
            return not paused and not waiting
        if action == "resume":
            return paused
        if action == "done":
            return waiting
        if action == "mute":
            return not self.conductor.cues.muted
        if action == "unmute":
            return self.conductor.cues.muted
        if action == "next_part":
            return len(self.timeline.parts) > 1 and self.session.active
        if action == "voice":
            return self.conductor.speaks
        return True

    def action_pause(self) -> None:
        """Space while running: go on past a waiting prompt, or pause."""
        if self.session.waiting and self.session.state is State.RUNNING:
            self._after_action(self.conductor.continue_())
        else:
            self._after_action(self.conductor.pause())

    def action_resume(self) -> None:
        """Space while paused: go on."""
        self._after_action(self.conductor.resume())

    def action_done(self) -> None:
        """Space on a step that waits for you: done, go on."""
        self._after_action(self.conductor.continue_())

    def action_go_on(self) -> None:
        self._after_action(self.conductor.continue_())

    def action_next_step(self) -> None:
        self._after_action(self.conductor.next_step())

    def action_previous_step(self) -> None:
        self._after_action(self.conductor.previous_step())

    def action_next_part(self) -> None:
        self._after_action(self.conductor.next_part())

    def action_mute(self) -> None:
        self._set_muted(True)

    def action_unmute(self) -> None:
        self._set_muted(False)

    def action_voice(self) -> None:
        """The voice off or on. While the sound is muted, turning it on says that nothing will
        be heard until m: muting stays the person's own choice, never undone by another key."""
        on = not self.conductor.voice_on
        self.conductor.set_voice(on)
        if on and self.conductor.cues.muted:
            self.tell("Voice on, but the sound is muted: press m to hear it.")
        else:
            self.tell("Voice on: each step is spoken." if on else "Voice off: tones and cues guide you.")
        self.post_message(self.VoiceChanged(on))

    def action_rate_before(self, digit: int) -> None:
        """Optional: how tense the person feels as the session begins, by digit key.

        The first rating counts; the one change taken is ``0`` just after ``1``, which
        makes the 1 a 10."""
        value = self.rating_keys.digit(digit)
        if self.rating_before is None or (digit == 0 and value == 10):
            self._rate_before(value)

    def action_rate_before_ten(self) -> None:
        """``t``: a before-session rating of 10."""
        if self.rating_before is None:
            self._rate_before(self.rating_keys.ten())

    def action_stop(self) -> None:
        if not self.session.active:
            return
        self._cancel()
        self.conductor.stop()
        self.post_message(self.Ended(self.session))

    @on(OptionList.OptionSelected, "#steps")
    def _ignore_selection(self, event: OptionList.OptionSelected) -> None:
        event.stop()

    def _on_suspend(self, _app: object) -> None:
        if self.session.state is State.RUNNING:
            self._suspended_pause = True
            self._after_action(self.conductor.pause())

    def _on_resume(self, _app: object) -> None:
        if self._suspended_pause:
            self._suspended_pause = False
            self._after_action(self.conductor.resume())

    def tick(self) -> None:
        """Read the clock, handle what is due, and show it."""
        self._handle = None
        if not self.is_attached:
            return
        self._apply(self.conductor.poll())
        if self.session.active:
            self._refresh_view()
            self._arm()

    def tell(
        self, text: str, *, severity: SeverityLevel = "information", timeout: float | None = None
    ) -> None:
        """Show a notice on the session's own line, clear of the pacer and instruction."""
        self.query_one(NoticeLine).tell(text, severity=severity, timeout=timeout)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notices raised by this screen go to its notice line, never to a toast."""
        del markup  # the line shows plain text
        self.tell(f"{title}: {message}" if title else message, severity=severity, timeout=timeout)

    def _main(self) -> ComposeResult:
        with Vertical(id="session-main"):
            with Vertical(id="guide"):
                yield Pacer(still=self.reduced_motion, cell_aspect=self.cell_aspect, id="pacer")
                yield Static(id="say", markup=False)
            yield Countdown(id="countdown")
            yield Static(id="hint", markup=False)

    def _step_options(self) -> list[Option | None]:
        options: list[Option | None] = []
        for segment in self.timeline.segments:
            if segment.cycle is not None:
                if segment.cycle == 1 and segment.index == self.timeline.parts[segment.part].first:
                    part = self.timeline.parts[segment.part]
                    options.append(
                        Option(
                            Text(f"{part.title}: {plural(part.cycles or 0, 'breath')}"),
                            id=f"s{segment.index}",
                        )
                    )
                continue
            title = segment.title or segment.say
            length = "waits" if segment.waits else clock_text(segment.duration)
            options.append(Option(Text(f"{title}  ({length})"), id=f"s{segment.index}"))
        return options

    # Time: when the clock is read next, and what is due.

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _moving(self) -> bool:
        if self.reduced_motion or self.session.state is not State.RUNNING:
            return False
        segment = self.session.current()
        return not segment.waits and segment.level_from != segment.level_to and self._pacer.display

    def _arm(self) -> None:
        """Schedule the next read at the next thing that changes on screen."""
        self._cancel()
        session = self.session
        if session.state is not State.RUNNING:
            return
        now = session.clock()
        waits = [IDLE_WAKE]
        if self._moving():
            waits.append(FRAME)
        else:
            waits.extend(self._changes_ahead(now))
        deadline = session.next_deadline()
        wait = min(waits)
        if deadline is not None:
            due = deadline - now
            if due <= wait:
                wait = due
            # A wait of t seconds may end t/1000 late (kernel timer slack):
            # a step boundary is reached by a last short wait.
            if wait > due - APPROACH and due > 2 * APPROACH:
                wait = due - APPROACH
        speed = getattr(session.clock, "speed", 1.0)
        self._handle = asyncio.get_running_loop().call_later(max(0.0, wait) / speed, self.tick)

    def _changes_ahead(self, now: float) -> list[float]:
        """Seconds until each still part of the screen next changes (countdown, bar, hint)."""
        session = self.session
        changes: list[float] = []
        if not session.waiting:
            left = session.step_remaining(now)
            if left > 0:
                changes.append(left - math.ceil(left - 1e-9) + 1)
        remaining = session.remaining(now)
        if remaining > 0:
            changes.append(time_left_change(remaining))
        total = self.timeline.total
        position = session.position(now)
        width = self._bar_width
        if total > 0 and width > 0:
            done = int(width * position / total)
            changes.append((done + 1) * total / width - position)
        if self.rating_before is None and position < RATING_WINDOW:
            changes.append(RATING_WINDOW - position)
        segment = session.current(now)
        if self._shown.get("caution") and not self._begins(segment):  # a note lingering
            changes.append(segment.start + CAUTION_LINGER - position)
        return [change for change in changes if change > 1e-6]

    def _apply(self, events: list[Event]) -> None:
        """What the screen itself does with events (the conductor has played and recorded
        them): at the end, the summary."""
        if any(isinstance(event, SessionFinished) for event in events):
            self._cancel()
            self.post_message(self.Ended(self.session))

    # The view.

    def _set(self, key: str, value: object) -> bool:
        if self._shown.get(key) == value:
            return False
        self._shown[key] = value
        return True

    def _refresh_view(self) -> None:
        session = self.session
        now = session.clock()
        segment = session.current(now)
        pacer = self._pacer
        pacer.pace = segment.pace
        if not self.reduced_motion:
            pacer.level = session.level(now)
        if self._set("segment", segment.index):
            self._show_segment(segment)
        self._show_caution(segment, session.position(now))
        paused = session.state is State.PAUSED
        waiting = session.waiting
        left = session.step_remaining(now)
        count = "" if waiting else count_text(left, segment.duration)
        if self._set("count", count):
            self._countdown.show(value=count)
        if paused:
            hint = "Paused. Press space to go on."
        elif waiting:
            hint = "Press Enter or space when you are done."
        elif self.rating_before is None and segment.index == 0 and session.position(now) < RATING_WINDOW:
            hint = RATING_HINT if len(RATING_HINT) <= self._hint.size.width else RATING_HINT_SHORT
        else:
            hint = ""
        if self._set("waits", waiting):
            self.refresh_bindings()  # space is Done on a step that waits, Pause elsewhere
        if self._set("hint", hint):
            self._hint.update(Text(hint), layout=False)
            self.set_class(paused, "-paused")
            self.set_class(waiting, "-waiting")
        remaining = session.remaining(now)
        heading = self._heading(segment)
        if self._set("heading", heading):
            self._heading_line.update(Text(heading), layout=False)
        width = self._bar_width
        done = int(width * session.position(now) / self.timeline.total) if self.timeline.total else 0
        left_text = time_left_text(remaining)
        if self._set("progress", (done, width, left_text)):
            bar = Text(no_wrap=True, overflow="crop")
            bar.append("━" * done, style="bold")
            bar.append("─" * (width - done), style="dim")
            bar.append(f"  {left_text}" if width else left_text)
            self._progress.update(bar, layout=False)

    def _heading(self, segment: Segment) -> str:
        return session_heading(self.timeline, segment, self.exercises)

    def _show_segment(self, segment: Segment) -> None:
        # A routine step with nothing to pace (stretch, walk, prompt) shows no circle.
        self.set_class(segment.cycle is None and segment.level_from == segment.level_to, "-no-pacer")
        say = (
            segment.say
            if segment.cycle is not None or not segment.title
            else f"{segment.title}: {segment.say}"
        )
        if self._set("say", say):
            self._show_text(self._say, Text(say, justify="center"))
        word = (
            segment.pace.value
            if segment.cycle is not None
            else ("" if segment.pace is Pace.REST else segment.pace.value)
        )
        if self._set("word", word):
            self._countdown.show(word=word)  # a repaint, never a layout
        if self.query("#steps"):
            steps = self.query_one("#steps", OptionList)
            with contextlib.suppress(OptionDoesNotExist):  # a step the list has no row for
                steps.highlighted = steps.get_option_index(f"s{self._list_anchor(segment)}")

    def _begins(self, segment: Segment) -> bool:
        """Is ``segment`` part of its part's beginning (its first step, or its first breath)?"""
        return segment.index == self.timeline.parts[segment.part].first or segment.cycle == 1

    def _caution_text(self, segment: Segment, position: float) -> str:
        """The safety note to show: a part's own while the part begins, and for
        ``CAUTION_LINGER`` seconds into the step after, so that it goes mid-step."""
        if self._begins(segment):
            return self.cautions.get(segment.part, "")
        if segment.index == 0 or segment.waits or position - segment.start >= CAUTION_LINGER:
            return ""
        previous = self.timeline.segments[segment.index - 1]
        if previous.part == segment.part and self._begins(previous):
            return self.cautions.get(segment.part, "")
        return ""

    def _show_caution(self, segment: Segment, position: float) -> None:
        caution = self._caution_text(segment, position)
        if self._set("caution", caution):
            self._caution.update(Text(caution))  # laid out: only as a part begins, and just after
            self.set_class(bool(caution), "-caution")

    def _show_text(self, widget: Static, text: Text) -> None:
        """Show ``text`` in an auto-height widget, laying the screen out again only when the
        text needs another number of lines there.

        A layout of the whole screen costs tens of milliseconds; done at every boundary it
        made the frame with the new step reach the terminal late. A widget not laid out
        yet (no width) always asks for the layout."""
        widget.update(text, layout=False)
        size = widget.content_size
        # Measured the way Textual's layout measures it.
        if size.width <= 0 or widget.get_content_height(self.size, self.size, size.width) != size.height:
            widget.refresh(layout=True)

    def _list_anchor(self, segment: Segment) -> int:
        if segment.cycle is None:
            return segment.index
        return self.timeline.parts[segment.part].first

    # What the actions share.

    def _after_action(self, events: list[Event] | None = None) -> None:
        if events:
            self._apply(events)
        if self.is_attached and self.session.active:
            self._refresh_view()
            self._arm()
            self.refresh_bindings()  # Pause or Resume

    def _rate_before(self, value: int) -> None:
        self.rating_before = value
        self.conductor.rate(before=value)
        self.tell(f"Noted: tension {value} of 10 before.")
        self._after_action()

    def _set_muted(self, muted: bool) -> None:
        self.conductor.set_muted(muted)
        self.tell("Sound cues off." if muted else "Sound cues on.")
        self.refresh_bindings()  # Mute or Unmute
