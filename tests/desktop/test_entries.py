"""``calmcoach desktop --install`` and ``--uninstall``, in a temporary XDG_DATA_HOME."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from calmcoach.desktop import entries
from tests.desktop.helpers import calmcoach_command, need

VALIDATE = shutil.which("desktop-file-validate")


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*calmcoach_command(), "desktop", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_install_writes_two_valid_entries_and_the_icon_under_xdg_data_home(cli_env, tmp_path: Path) -> None:
    need(VALIDATE, "desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    data = tmp_path / "data home"  # a space, to prove Exec paths are quoted where needed
    env = {**cli_env, "XDG_DATA_HOME": str(data)}
    result = run_cli(env, "--install")
    assert result.returncode == 0, result.stderr
    window = data / "applications" / "calmcoach.desktop"
    terminal = data / "applications" / "calmcoach-terminal.desktop"
    icon = data / "icons" / "hicolor" / "scalable" / "apps" / "calmcoach.svg"
    for path in (window, terminal, icon):
        assert path.is_file(), path
        assert str(path) in result.stdout
    for entry in (window, terminal):
        check = subprocess.run([VALIDATE, str(entry)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr
    text = window.read_text()
    assert "Terminal=false" in text and "Actions=flare;breathing;log;" in text
    for name in ("Name=Flare routine", "Name=4-2-6 breathing", "Name=Log a flare"):
        assert name in text
    assert "desktop flare\n" in text and "desktop run breathing-4-2-6\n" in text and "desktop log\n" in text
    assert "Terminal=true" in terminal.read_text()
    assert icon.read_bytes().startswith(b"<?xml") and b"<svg" in icon.read_bytes()


def test_uninstall_removes_exactly_what_install_wrote(cli_env, tmp_path: Path) -> None:
    data = tmp_path / "share"
    (data / "applications").mkdir(parents=True)
    theirs = data / "applications" / "someone-else.desktop"
    theirs.write_text("[Desktop Entry]\n")
    before = tree(data)
    env = {**cli_env, "XDG_DATA_HOME": str(data)}
    assert run_cli(env, "--install").returncode == 0
    assert run_cli(env, "--install").returncode == 0  # twice: still one record, still removable
    assert len(tree(data)) > len(before)
    result = run_cli(env, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert tree(data) == before
    assert theirs.read_text() == "[Desktop Entry]\n"
    again = run_cli(env, "--uninstall")
    assert again.returncode == 0 and "Nothing to remove" in again.stdout


def test_uninstall_leaves_nothing_when_it_made_the_whole_folder(tmp_path: Path) -> None:
    data = tmp_path / "new" / "share"
    entries.install(data, ["/opt/cc/bin/calmcoach"])
    entries.uninstall(data)
    assert tree(tmp_path) == []


def test_uninstall_keeps_a_file_the_user_put_beside_ours(tmp_path: Path) -> None:
    data = tmp_path / "share"
    entries.install(data, ["calmcoach"])
    mine = data / "icons" / "hicolor" / "scalable" / "apps" / "mine.svg"
    mine.write_text("<svg/>")
    entries.uninstall(data)
    assert tree(data) == [
        "icons",
        "icons/hicolor",
        "icons/hicolor/scalable",
        "icons/hicolor/scalable/apps",
        "icons/hicolor/scalable/apps/mine.svg",
    ]


def test_xdg_data_home_is_used_only_when_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert entries.data_home({"XDG_DATA_HOME": str(tmp_path / "x")}) == tmp_path / "x"
    assert entries.data_home({"XDG_DATA_HOME": "relative/dir"}) == tmp_path / ".local" / "share"
    assert entries.data_home({}) == tmp_path / ".local" / "share"


@pytest.mark.parametrize(
    ("argument", "quoted"),
    [
        ("/usr/bin/calmcoach", "/usr/bin/calmcoach"),
        ("/home/a b/calmcoach", '"/home/a b/calmcoach"'),
        ('/x/"$`\\', '"/x/\\\\"\\\\$\\\\`\\\\\\\\"'),
        ("/x/50%", '"/x/50%%"'),
    ],
)
def test_exec_arguments_are_quoted_as_the_spec_asks(argument: str, quoted: str) -> None:
    assert entries.exec_quote(argument) == quoted


def test_a_path_with_a_newline_is_refused_with_a_clear_line() -> None:
    with pytest.raises(entries.InstallError, match="control character"):
        entries.exec_quote("/tmp/a\nb")


def test_an_unreadable_install_record_is_named(tmp_path: Path) -> None:
    record = tmp_path / entries.MANIFEST
    record.parent.mkdir(parents=True)
    record.write_text("{not json")
    with pytest.raises(entries.InstallError, match=r"desktop-install\.json: cannot read"):
        entries.uninstall(tmp_path)


def test_an_entry_with_a_quoted_exec_still_validates(tmp_path: Path) -> None:
    need(VALIDATE, "desktop-file-validate is not installed (apt-get install desktop-file-utils)")
    entries.install(tmp_path, ['/opt/my apps/"cc"/$bin/calmcoach'])
    for entry in (tmp_path / "applications").glob("*.desktop"):
        check = subprocess.run([VALIDATE, str(entry)], capture_output=True, text=True, timeout=30)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout
    assert os.access(tmp_path / "applications" / "calmcoach.desktop", os.R_OK)


def hostile_record(data: Path, kind: str, victim: Path) -> None:
    """Put a record of ``kind`` where ``--install`` keeps its record."""
    record = data / entries.MANIFEST
    record.parent.mkdir(parents=True, exist_ok=True)
    applications = data / "applications"
    if kind == "fifo":
        os.mkfifo(record)  # nobody writes: reading it would wait forever
    elif kind == "dev-zero":
        record.symlink_to("/dev/zero")  # never ends
    elif kind == "huge":
        record.write_bytes(b'{"files": [' + b'"x", ' * 400_000 + b'"x"]}')
    elif kind == "dot-dot":
        escape = f"{applications}/../../{victim.parent.name}/{victim.name}"
        record.write_text(json.dumps({"files": [escape], "dirs": []}))
    elif kind == "outside":
        record.write_text(json.dumps({"files": [str(victim)], "dirs": [str(victim.parent / "empty")]}))
    elif kind == "escape-codes":
        record.write_text(json.dumps({"files": ["/etc/\x1b]0;pwned\x07passwd"], "dirs": []}))
    else:
        raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "huge", "dot-dot", "outside", "escape-codes"])
@pytest.mark.parametrize("action", ["--uninstall", "--install"])
def test_a_hostile_install_record_is_one_clear_line_and_nothing_outside_is_touched(
    cli_env, tmp_path: Path, kind: str, action: str
) -> None:
    data = tmp_path / "share"
    victims = tmp_path / "victims"
    (victims / "empty").mkdir(parents=True)
    victim = victims / "precious.txt"
    victim.write_text("keep me")
    hostile_record(data, kind, victim)
    before = tree(tmp_path)
    started = time.monotonic()
    result = run_cli({**cli_env, "XDG_DATA_HOME": str(data)}, action)  # a hang fails at its timeout
    assert time.monotonic() - started < 10
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert "desktop-install.json" in result.stderr and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert victim.read_text() == "keep me" and (victims / "empty").is_dir()
    assert tree(tmp_path) == before  # nothing written, nothing removed


def test_uninstall_removes_no_link_even_one_the_record_names(tmp_path: Path) -> None:
    data = tmp_path / "share"
    entries.install(data, ["calmcoach"])
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    entry = data / "applications" / "calmcoach.desktop"
    entry.unlink()
    entry.symlink_to(victim)  # the record names it; it is no longer a file install wrote
    removed = entries.uninstall(data)
    assert entry not in removed and entry.is_symlink()
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("action", ["--uninstall", "--install"])
def test_a_record_naming_another_programs_entry_beside_ours_is_refused_and_it_stays(
    cli_env, tmp_path: Path, action: str
) -> None:
    """The install folders hold other programs' files too: the record may name only the
    files ``--install`` writes."""
    data = tmp_path / "share"
    entries.install(data, ["calmcoach"])
    theirs = data / "applications" / "firefox.desktop"
    theirs.write_text("[Desktop Entry]\nName=Firefox\n")
    record = data / entries.MANIFEST
    listed = json.loads(record.read_text())
    listed["files"].append(str(theirs))
    record.write_text(json.dumps(listed))
    before = tree(tmp_path)
    result = run_cli({**cli_env, "XDG_DATA_HOME": str(data)}, action)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1, result.stderr
    assert "desktop-install.json: files[" in result.stderr and "firefox.desktop" in result.stderr
    assert theirs.read_text() == "[Desktop Entry]\nName=Firefox\n"
    assert tree(tmp_path) == before  # nothing written, nothing removed
