import io

from awe.progress import StepProgress


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
