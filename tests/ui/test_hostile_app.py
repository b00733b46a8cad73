"""The app starts whatever sits in the user's files, and shows broken files without obeying them."""

from __future__ import annotations

import os
import re
from pathlib import Path

from textual.widgets import OptionList

from calmcoach.data import locations
from tests.ui.helpers import new_app

ESCAPES = "\x1b]0;PWNED\x07\x1b]52;c;aGVsbG8=\x07\x1b[2J\u009d"
CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


async def test_the_app_starts_past_special_and_hostile_files(user_exercises: Path) -> None:
    os.mkfifo(user_exercises / "pipe.toml")
    (user_exercises / "zero.toml").symlink_to("/dev/zero")
    (user_exercises / "deep.toml").write_text("tags = " + "[" * 5000 + "]" * 5000 + "\n")
    toml_escapes = ESCAPES.encode("unicode_escape").decode().replace("\\x", "\\u00")
    (user_exercises / f"name{ESCAPES}.toml").write_text(f'title = "T"\nkind = "{toml_escapes}"\n')
    cache = locations.parse_cache_file()
    cache.parent.mkdir(parents=True)
    os.mkfifo(cache)
    os.mkfifo(locations.settings_file())

    app, _, _ = new_app()
    async with app.run_test(size=(120, 40)) as pilot:
        listing = app.screen.query_one("#library", OptionList)
        prompts = {
            option.id: str(option.prompt)
            for option in (listing.get_option_at_index(i) for i in range(listing.option_count))
        }
        assert "breathing-4-2-6" in prompts and "flare" in prompts
        broken = {key: text for key, text in prompts.items() if key and key.startswith(":broken:")}
        assert len(broken) == 4
        for text in broken.values():
            assert not CONTROL.search(text), text
        joined = "\n".join(broken.values())
        assert "is a FIFO (named pipe), not a regular file" in joined
        assert "is a character device, not a regular file" in joined
        assert "too deeply" in joined
        assert "name\\x1b]0;PWNED\\x07" in joined and "got '\\x1b]0;PWNED" in joined

        escaped_id = next(key for key in broken if key and "PWNED" in key)
        listing.highlighted = listing.get_option_index(escaped_id)
        await pilot.press("enter")
        (notice,) = [n for n in app._notifications if "not loaded" in n.title]
        assert not CONTROL.search(notice.title) and not CONTROL.search(notice.message.replace("\n", " "))
