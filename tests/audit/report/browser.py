"""Open a page in headless Chromium and ask it questions over the DevTools protocol.

The protocol runs over a pipe (``--remote-debugging-pipe``: Chromium reads
commands on fd 3 and writes replies on fd 4, each message a JSON text ended by
a NUL byte), so no port, no network and no websocket library is needed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM_FLAGS", "Page", "find_chromium", "open_page"]

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """Path of a Chromium (or Chrome) binary, or ``None``."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _high_fd(fd: int) -> int:
    import fcntl

    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class Page:
    """One page in a headless browser; ``events`` collects every protocol event received."""

    def __init__(self, binary: str, *, timeout: float = 60.0, width: int = 1280, height: int = 900) -> None:
        self.timeout = timeout
        self.events: list[dict[str, Any]] = []
        self._id = 0
        self._buffer = b""
        self._profile = tempfile.mkdtemp(prefix="scs-audit-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        # the child gets our pipe ends as fds 3 (commands in) and 4 (replies out): posix_spawn's dup2 file actions
        # (thread-safe, unlike a preexec_fn); the ends are first moved above 9 so one dup2 cannot clobber the other
        to_child_r, from_child_w = (_high_fd(fd) for fd in (to_child_r, from_child_w))
        devnull = os.open(os.devnull, os.O_RDWR)
        err = 2 if os.environ.get("SCS_AUDIT_BROWSER_DEBUG") else devnull
        actions = [(os.POSIX_SPAWN_DUP2, devnull, 0), (os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2, err, 2),
                   (os.POSIX_SPAWN_DUP2, to_child_r, 3), (os.POSIX_SPAWN_DUP2, from_child_w, 4)]
        argv = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", f"--window-size={width},{height}", "about:blank"]
        try:
            self._pid = os.posix_spawn(binary, argv, os.environ, file_actions=actions)
        finally:
            os.close(devnull)
        os.close(to_child_r)
        os.close(from_child_w)
        try:
            target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Page", "Runtime", "Log"):
                self.call(f"{domain}.enable", session=True)
            self.call("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1,
                                                              "mobile": False}, session=True)
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ protocol

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from Chromium in time")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, *, session: bool = False) -> dict[str, Any]:
        """Send one command and wait for its reply (events that arrive meanwhile are kept)."""
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str) -> dict[str, Any]:
        """Wait for an event (or return one already received)."""
        for e in self.events:
            if e.get("method") == method:
                return e
        deadline = time.monotonic() + self.timeout
        while True:
            e = self._read_message(deadline)
            self.events.append(e)
            if e.get("method") == method:
                return e

    # ------------------------------------------------------------------ helpers

    def goto(self, url: str) -> None:
        self.events.clear()
        self.call("Page.navigate", {"url": url}, session=True)
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        reply = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"page script failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, clip: dict[str, float]) -> bytes:
        import base64

        reply = self.call("Page.captureScreenshot", {"format": "png", "clip": {**clip, "scale": 1},
                                                     "captureBeyondViewport": True}, session=True)
        return base64.b64decode(reply["data"])

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and error log entries seen so far."""
        out = []
        for e in self.events:
            method, p = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = p.get("exceptionDetails", {})
                out.append(f"exception: {details.get('text')} {details.get('exception', {}).get('description', '')}")
            elif method == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(f"console.{p.get('type')}: {[a.get('value', a.get('description')) for a in p.get('args', [])]}")
            elif method == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append(f"log: {p['entry'].get('text')} ({p['entry'].get('url', '')})")
        return out

    def close(self) -> None:
        try:
            os.write(self._to_child, json.dumps({"id": self._id + 1, "method": "Browser.close"}).encode() + b"\0")
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while os.waitpid(self._pid, os.WNOHANG) == (0, 0):
            if time.monotonic() > deadline:
                os.kill(self._pid, signal.SIGKILL)
                os.waitpid(self._pid, 0)
                break
            time.sleep(0.05)
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self._profile, ignore_errors=True)


def open_page(binary: str, path: Path, **kw: Any) -> Page:
    page = Page(binary, **kw)
    try:
        page.goto(Path(path).resolve().as_uri())
    except BaseException:
        page.close()
        raise
    return page
