"""The desktop coach in a real headless Chromium, offline: what a person sees and does."""

from __future__ import annotations

from pathlib import Path

import pytest

from calmcoach.data import settings as user_settings
from tests.desktop.helpers import (
    alive,
    chromium,
    need_browser,
    outside,
    requested_urls,
    served,
    wait_for,
    wait_for_screen,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOME = r"ctrl\+f: flare routine"
"""The home screen's title line (always on screen, however long the library is)."""


@pytest.fixture
def desktop_env(cli_env: dict[str, str]) -> dict[str, str]:
    """The CLI's isolated environment, with the first-run note already read."""
    need_browser()
    user_settings.save(user_settings.Settings(first_run_seen=True))
    return cli_env


def test_home_appears_offline_and_flare_keys_start_breathing(desktop_env, tmp_path: Path) -> None:
    with served(desktop_env) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url)
        home = wait_for_screen(driver, HOME)
        assert "calmcoach" in home.lower() or "library" in home.lower(), home

        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        # As a person clicks into the window: on its top line (the title), not in the middle,
        # where a click would open whatever exercise row happens to be drawn there.
        terminal = driver.find_element(By.ID, "terminal")
        corner = (-terminal.size["width"] // 2 + 4, -terminal.size["height"] // 2 + 4)
        ActionChains(driver).move_to_element_with_offset(terminal, *corner).click().perform()
        ActionChains(driver).key_down(Keys.CONTROL).send_keys("f").key_up(Keys.CONTROL).perform()
        wait_for_screen(driver, r"(?i)where is the twitch")
        ActionChains(driver).send_keys("l").perform()
        screen = wait_for_screen(driver, r"(?i)breathe in")
        # The flare routine's breathing, with the leg's release steps listed after it.
        assert "Flare routine" in screen and "Calf stretch" in screen, screen

        urls = requested_urls(driver)
        assert any(u.startswith(f"ws://127.0.0.1:{server.port}/") for u in urls), urls
        assert outside(urls, server.port) == []


@pytest.mark.parametrize(
    ("app_args", "shows"),
    [
        (("run", "breathing-4-2-6", "--minutes", "3"), r"4-2-6 breathing\s+·\s+breath 1 of 15"),
        (("flare", "hand"), r"Flare routine\s+·\s+4-2-6 breathing[\s\S]*Open and close"),
        (("log",), r"How strong, 0 to 10\?[\s\S]*What may have set it off\?"),
    ],
)
def test_options_pass_through_to_the_served_app(
    desktop_env, tmp_path: Path, app_args: tuple[str, ...], shows: str
) -> None:
    with served(desktop_env, *app_args) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url)
        wait_for_screen(driver, shows)


def test_closing_the_page_ends_the_app_and_then_the_server(desktop_env, tmp_path: Path) -> None:
    with served(desktop_env) as server, chromium(tmp_path / "profile") as driver:
        driver.get(server.url)
        wait_for_screen(driver, HOME)
        apps = server.app_pids()
        assert apps, "no app process under the server while the page is open"
        page = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.switch_to.window(page)
        driver.close()
        # Bound: the app quits at once, the server waits 2 s for another page; 20 s
        # leaves room for a busy machine and catches a hang.
        wait_for(lambda: not any(alive(pid) for pid in apps), 20, "the app process to end")
        wait_for(lambda: server.process.poll() is not None, 20, "the server to stop")
        assert server.process.returncode == 0
        assert not server.app_pids()


def test_the_outside_request_check_sees_a_page_that_reaches_out(tmp_path: Path) -> None:
    """The check above can fail: textual-serve's own page links a font from the internet,
    and a page that does the same is caught even though the name cannot resolve."""
    page = tmp_path / "reaches-out.html"
    page.write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto%20Mono"><p>hello</p>'
    )
    with chromium(tmp_path / "profile") as driver:
        driver.get(page.as_uri())
        urls = requested_urls(driver)
    assert any("fonts.googleapis.com" in u for u in outside(urls, 1)), urls


def test_the_launch_page_leads_to_the_app_and_is_removed_once_it_loaded(desktop_env, tmp_path: Path) -> None:
    """What a person does with the address ``--no-window`` prints (a file only they can read)."""
    with served(desktop_env) as server, chromium(tmp_path / "profile") as driver:
        assert server.launch_file.exists()
        driver.get(server.launch_file.as_uri())
        wait_for_screen(driver, HOME)
        assert driver.current_url.startswith(f"http://127.0.0.1:{server.port}/")
        wait_for(lambda: not server.launch_file.exists(), 10, "the launch page to be removed")
        assert outside(requested_urls(driver), server.port) == []


def test_the_address_no_window_prints_leads_to_the_app_when_the_file_cannot_be_read(
    desktop_env, tmp_path: Path
) -> None:
    """A snap browser cannot read the launch page's folder: the terminal also offers the
    launch address itself, which leads to the app once, and only until a page has loaded."""
    import urllib.error
    import urllib.request

    with served(desktop_env) as server, chromium(tmp_path / "profile") as driver:
        assert server.process.stdout is not None
        lines = [server.process.stdout.readline() for _ in range(3)]  # after the launch page's line
        offered = [line for line in lines if "open this address instead: http://" in line]
        assert len(offered) == 1, lines
        address = offered[0].rsplit(" ", 1)[1].strip()
        assert address == server.url  # the launch address, the one the page leads to
        driver.get(address)
        wait_for_screen(driver, HOME)
        assert driver.current_url.startswith(f"http://127.0.0.1:{server.port}/")
        assert driver.current_url != address
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(address, timeout=10)  # used: it leads nowhere now
        assert refused.value.code == 403
