"""`breach demo`: plain words on the console, each export listed once, and the next command finds the demo's data."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from flows.cli import main as cli
from flows.cli.demo import POINTER, run_demo
from flows.runtime import runtime

pytestmark = pytest.mark.flows


def test_the_demo_speaks_plainly_and_the_next_command_needs_no_data_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("BREACH_DB_URL", "BREACH_OUTBOX", "BREACH_CONTROLLER_FILE", "BREACH_MASTER_KEY", "SENDGRID_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("BREACH_DATA_DIR", "BREACH_MANAGERS"):  # the demo sets these for itself; restored after the test
        monkeypatch.setenv(name, "set-by-the-demo")
    monkeypatch.setenv("COLUMNS", "200")
    runtime.cache_clear()
    try:
        result = run_demo(Path("breach-demo"))
        out = capsys.readouterr().out
        incident_id = result["incident_id"]
        assert result["decision"] == "approved"
        assert "{'" not in out and '{"' not in out, "a raw Python dict reached the console"
        assert "1,000 rows: 1,000 imported, 0 rejected, 0 warnings" in out
        assert "by channel: 870 by e-mail, 122 by letter, 8 with no channel" in out
        assert "992 deliveries in 1 e-mail batch, 1 letter batch" in out
        assert "the one-time code e-mailed to manager@example.com is in" in out
        for path in result["exports"].values():
            assert out.count(path) == 1, f"{path} printed {out.count(path)} times"
        assert POINTER.read_text(encoding="utf-8").strip() == str((tmp_path / "breach-demo").resolve())

        # the next command, in the same folder, with no BREACH_DATA_DIR
        monkeypatch.delenv("BREACH_DATA_DIR")
        runtime.cache_clear()
        monkeypatch.setattr(sys, "argv", ["breach", "status", incident_id])
        with pytest.raises(SystemExit) as exited:
            cli.main()
        captured = capsys.readouterr()
        assert exited.value.code == 0, captured.err
        assert f"{incident_id}" in captured.out and "status: people told" in captured.out
        assert "using the demo's data folder" in captured.err
    finally:
        runtime.cache_clear()


def test_a_real_data_folder_wins_over_the_remembered_demo(tmp_path, monkeypatch):
    monkeypatch.delenv("BREACH_DATA_DIR", raising=False)
    monkeypatch.delenv("BREACH_DB_URL", raising=False)
    demo = tmp_path / "breach-demo"
    demo.mkdir()
    (demo / ".breach-demo").write_text("marker")
    (tmp_path / ".breach-demo-dir").write_text(str(demo))
    assert cli.remembered_data_dir(tmp_path) == demo
    (tmp_path / ".breach").mkdir()
    assert cli.remembered_data_dir(tmp_path) is None
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "elsewhere"))
    assert cli.remembered_data_dir(tmp_path) is None


def test_a_pointer_to_a_folder_that_is_not_a_demo_is_ignored(tmp_path, monkeypatch):
    monkeypatch.delenv("BREACH_DATA_DIR", raising=False)
    monkeypatch.delenv("BREACH_DB_URL", raising=False)
    (tmp_path / ".breach-demo-dir").write_text(str(tmp_path / "somewhere"))
    assert cli.remembered_data_dir(tmp_path) is None
