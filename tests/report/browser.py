"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` for the report tests.

Chromium reads commands from fd 3 and writes replies and events to fd 4, each a JSON message
ended by a NUL byte. ``Browser.open`` loads a page, waits for its load event and keeps what
the page did: console messages, exceptions, log entries (a CSP violation is one) and every
network request. ``Page.evaluate`` runs JavaScript in the page through the protocol (not
subject to the page's Content-Security-Policy, which only allows the page's own script).
No websocket, no port: nothing else on the machine can talk to this browser.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class BrowserError(RuntimeError):
    """Chromium did not answer, or answered a command with an error."""


@dataclass
class Page:
    browser: Browser
    session: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        reply = self.browser.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in reply:
            raise BrowserError(f"script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")


class Browser:
    """One headless Chromium; use as a context manager."""

    def __init__(self, profile: Path, width: int = 1400, height: int = 900) -> None:
        if CHROMIUM is None:
            raise BrowserError("chromium is not installed")
        low_in, self._write = os.pipe()
        self._read, low_out = os.pipe()
        # The child's ends move to fd 10 and up, so putting them on 3 and 4 overwrites neither.
        to_child = fcntl.fcntl(low_in, fcntl.F_DUPFD, 10)
        from_child = fcntl.fcntl(low_out, fcntl.F_DUPFD, 10)
        os.close(low_in)
        os.close(low_out)

        args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]

        def wire() -> None:  # in the child, before exec: commands on fd 3, replies on fd 4
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        # close_fds=False: Python's own descriptors are close-on-exec anyway (PEP 446), and
        # closing every other descriptor would run after ``wire`` and close 3 and 4 again.
        self.proc = subprocess.Popen(
            [CHROMIUM, *args],
            preexec_fn=wire,
            close_fds=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_child)
        os.close(from_child)
        self._next = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        with contextlib.suppress(BrowserError, OSError):
            self.send("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._write, self._read):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _message(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("no message from chromium in time")
            ready, _, _ = select.select([self._read], [], [], left)
            if ready:
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    raise BrowserError("chromium closed the pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = 60,
    ) -> dict[str, Any]:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._message(timeout)
            if reply.get("id") == self._next:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply.get("result", {})
                return result
            self._events.append(reply)

    def _drain(self, page: Page, until: str | None, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            while self._events:
                ev = self._events.pop(0)
                if ev.get("sessionId") != page.session:
                    continue
                method, params = ev.get("method"), ev.get("params", {})
                if method == "Runtime.consoleAPICalled":
                    args = " ".join(
                        str(a.get("value", a.get("description"))) for a in params["args"]
                    )
                    page.console.append(f"console.{params['type']}: {args}")
                elif method == "Runtime.exceptionThrown":
                    page.console.append(f"exception: {params['exceptionDetails']}")
                elif method == "Log.entryAdded":
                    entry = params["entry"]
                    page.console.append(f"log.{entry['level']}: {entry.get('text')}")
                elif method == "Network.requestWillBeSent":
                    page.requests.append(params["request"]["url"])
                if until is not None and method == until:
                    return
            left = deadline - time.monotonic()
            if left <= 0:
                if until is None:
                    return
                raise BrowserError(f"no {until} in time")
            try:
                self._events.append(self._message(min(left, 0.5) if until is None else left))
            except BrowserError:
                if until is not None:
                    raise
                return

    def open(self, url: str, settle: float = 1.0) -> Page:
        """Load ``url`` in a new tab, wait for its load event and ``settle`` seconds more."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        page = Page(self, session)
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self._drain(page, "Page.loadEventFired", 60)
        self._drain(page, None, settle)
        return page
