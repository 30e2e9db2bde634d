"""Runs `registry_site/Procfile` for `make run`: output prefixed, crashes restarted, all stopped together.

Each process gets a session of its own, so a Ctrl-C in the terminal reaches only the supervisor,
which then stops every process group itself: nothing is left behind even when the terminal's
output pipe (`make run | tee log`) has already gone.
"""

import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

RESTARTS_PER_MINUTE = 5


@dataclass
class Process:
    name: str
    command: str
    popen: subprocess.Popen | None = None
    starts: list[float] = field(default_factory=list)


def read_procfile(path: Path) -> list[Process]:
    processes = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes.append(Process(name.strip(), command.strip()))
    return processes


class Supervisor:
    def __init__(self, procfile: Path, *, env: dict[str, str], cwd: Path, essential: str = "web"):
        self.processes = read_procfile(procfile)
        self.env = env
        self.cwd = cwd
        self.essential = essential
        self.width = max(len(p.name) for p in self.processes)
        self.output_lock = threading.Lock()

    def say(self, name: str, text: str) -> None:
        with self.output_lock:
            try:
                sys.stdout.write(f"{time.strftime('%H:%M:%S')} {name:<{self.width}} | {text}\n")
                sys.stdout.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # the terminal or pipe is gone; keep supervising (and stopping) silently

    def start(self, process: Process) -> None:
        command = re.sub(r"\$(\w+)", lambda m: self.env.get(m.group(1), m.group(0)), process.command)
        argv = shlex.split(command)
        process.popen = subprocess.Popen(
            argv,
            env=self.env,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.starts = [t for t in process.starts if t > time.monotonic() - 60] + [time.monotonic()]
        self.say("system", f"{process.name} started (pid {process.popen.pid})")
        threading.Thread(target=self.pump, args=(process, process.popen), daemon=True).start()

    def pump(self, process: Process, popen: subprocess.Popen) -> None:
        for raw in popen.stdout:
            self.say(process.name, raw.decode("utf-8", errors="replace").rstrip())

    def run(self) -> int:
        """Start everything; restart a crashed worker or beat; return when the web server stops or on Ctrl-C."""
        for process in self.processes:
            self.start(process)
        try:
            while True:
                time.sleep(0.5)
                for process in self.processes:
                    code = process.popen.poll()
                    if code is None:
                        continue
                    self.say("system", f"{process.name} stopped (exit {code})")
                    if process.name == self.essential or len(process.starts) >= RESTARTS_PER_MINUTE:
                        return code or 1
                    self.start(process)
        except KeyboardInterrupt:
            return 0
        finally:
            self.stop()

    def stop(self, grace: float = 10.0) -> None:
        running = [p for p in self.processes if p.popen and p.popen.poll() is None]
        for process in running:
            self._signal(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in running:
            try:
                process.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                process.popen.wait()
            self.say("system", f"{process.name} stopped")

    @staticmethod
    def _signal(process: Process, sig: int) -> None:
        try:
            os.killpg(process.popen.pid, sig)
        except ProcessLookupError:
            pass
