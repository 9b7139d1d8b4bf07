"""`fairshake` in a pseudo-terminal, as a person at a terminal runs it.

`Terminal` starts `python -m bot` (no platform token: the terminal chat) with a pty of
a set width as its stdin and stdout (or stdout only, input piped), types lines into it,
and reads back what was written: `raw` with every escape sequence, `seen` with them
taken out (roughly what the screen shows). Waits are for what the bot shows, with a
generous deadline, never for a fixed time.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
ESCAPE = re.compile(rb"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>78])")
SGR = re.compile(rb"\x1b\[([0-9;]*)m")
"""Select Graphic Rendition: the escapes that set colours and styles."""


class Terminal:
    """One run of the terminal chat on a pty `columns` wide.

    Args:
        data: the data folder.
        columns: the terminal's width.
        piped: input from a pipe instead of the pty (output still on the pty).
        environ: more environment (NO_COLOR, say).
    """

    def __init__(self, data: Path, columns: int = 60, piped: bool = False, **environ: str) -> None:
        self.raw = b""
        self._master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("FAIRSHAKE_", "TELEGRAM_", "DISCORD_", "NO_COLOR", "COLUMNS"))
        }
        env = {
            **clean,
            "PYTHONPATH": str(ROOT),
            "FAIRSHAKE_DATA_DIR": str(data),
            "TERM": "xterm-256color",
            # This pty answers no cursor position requests; a real terminal does.
            "PROMPT_TOOLKIT_NO_CPR": "1",
            **environ,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot"],
            stdin=subprocess.PIPE if piped else slave,
            stdout=slave,
            stderr=subprocess.PIPE,
            env=env,
            cwd=data.parent,
        )
        os.close(slave)

    @property
    def seen(self) -> str:
        """The output without escape sequences, lines joined by newlines."""
        text = ESCAPE.sub(b"", self.raw).decode("utf-8", "replace")
        return text.replace("\r\n", "\n").replace("\r", "")

    def styles(self) -> set[str]:
        """Every colour or style escape written (`1` bold, `0` reset, `38;5;102` a colour)."""
        return {match.decode() for match in SGR.findall(self.raw)}

    def type(self, line: str) -> None:
        """A line typed and Enter pressed (written to the pipe when input is piped)."""
        if self.process.stdin is not None:
            self.process.stdin.write(line.encode() + b"\n")
            self.process.stdin.flush()
        else:
            os.write(self._master, line.encode() + b"\r")

    def keys(self, keys: bytes) -> None:
        """Raw keys pressed (arrows, backspace), for the line editor."""
        os.write(self._master, keys)

    def wait_for(self, shown: str, count: int = 1, deadline: float = 60) -> str:
        """Read until `shown` has appeared `count` times in what is seen."""
        end = time.monotonic() + deadline
        while self.seen.count(shown) < count:
            if not self._read(end):
                break
        assert self.seen.count(shown) >= count, f"never shown {shown!r}:\n{self.seen[-2000:]}"
        return self.seen

    def prompted(self, hint: str, deadline: float = 60) -> None:
        """Read until the input line `hint` is the last thing drawn: the editor waits."""
        end = time.monotonic() + deadline
        while not self.seen.rstrip().endswith(hint):
            if not self._read(end):
                break
        assert self.seen.rstrip().endswith(hint), f"no prompt {hint!r}:\n{self.seen[-2000:]}"

    def leave(self) -> int:
        """Ctrl-D (or the pipe closed); the rest of the output read; the exit code."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        else:
            os.write(self._master, b"\x04")
        end = time.monotonic() + 60
        while self._read(end):
            pass
        code = self.process.wait(timeout=30)
        os.close(self._master)
        assert self.process.stderr is not None
        self.process.stderr.close()
        return code

    def _read(self, end: float) -> bool:
        """Some output, or False once the process closed the pty or time ran out."""
        while time.monotonic() < end:
            ready, _, _ = select.select([self._master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self._master, 65536)
                except OSError:  # the child closed its end
                    return False
                if not chunk:
                    return False
                self.raw += chunk
                return True
        return False
