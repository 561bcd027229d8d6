import io

from awe.progress import BYTES, StepProgress
from common.config import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log():
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        show = StepProgress(stream, "simulate", "extensions written")
        for done in range(1, 41):
            show(done, 40, f"MUSE.x.fits CHAN{done % 24 + 1:02d}")
    assert terminal.getvalue().count("\r[") == 40 and terminal.getvalue().endswith("\n")
    assert "[" + "#" * 30 + "] 40/40" in terminal.getvalue()
    lines = log.getvalue().splitlines()
    assert len(lines) == 11 and lines[-1].startswith("simulate: 40/40 extensions written")


def test_bytes_are_shown_in_mib_and_the_bar_is_redrawn_at_most_ten_times_a_second():
    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        show: Progress = StepProgress(stream, "get", BYTES)
        for done in range(1, 1001):
            show(done << 20, 1000 << 20, "MUSE.x.fits")
    assert terminal.getvalue().count("\r[") < 100 and terminal.getvalue().endswith("\n")
    assert "1000.0/1000.0 MiB" in terminal.getvalue()
    assert log.getvalue().splitlines()[-1].startswith("get: 1000.0/1000.0 MiB")


def test_one_callback_serves_tasks_in_turn():
    log = io.StringIO()
    show = StepProgress(log, "transfer", BYTES)
    for task in range(2):
        for done in range(1, 11):
            show(done << 20, 10 << 20, f"file-{task}")
    show(10 << 20, 10 << 20, "file-1")  # the end reported again: nothing new
    show(5 << 20, 20 << 20, "file-2")  # a third task, cut short: done went back
    lines = log.getvalue().splitlines()
    assert [line.split(" (")[1].split(",")[0] for line in lines] == ["file-0"] * 10 + [
        "file-1"] * 10 + ["file-2"]
    assert lines[10].startswith("transfer: 1.0/10.0 MiB")
    assert lines[-1].startswith("transfer: 5.0/20.0 MiB")
