"""The quality watch end to end through a REAL Prefect server (started here, on loopback):
the quality-watch flow alerts a faulty sensor reading that landed, emits ``twin.quality.hold``,
and the automation the README shows posts it to a webhook (a local HTTP receiver); and the
watch runs while an analyst queries plant.duckdb, without errors on either side."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import duckdb
import httpx
import pytest

from tests.watch.conftest import WARMUP, Plant
from twin_core.settings import Settings
from twin_core.watch import run_watch
from twin_core.watch.replay import hour_files

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        type(self).bodies.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    _Receiver.bodies = []
    server = HTTPServer(("127.0.0.1", _free_port()), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hold", _Receiver.bodies
    server.shutdown()
    server.server_close()


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[str]:
    """``prefect server start`` on a free loopback port, with its own PREFECT_HOME."""
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log = (tmp_path / "server.log").open("wb")
    proc = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("prefect")),
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "prefect server did not start: " + (tmp_path / "server.log").read_text()
                )
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _bad_reading(settings: Settings, plant: Plant) -> datetime:
    """A landed sensor file whose one reading is outside the sensor's valid range."""
    day = plant.source.days[WARMUP]
    ts = datetime.combine(day, datetime.min.time()) + timedelta(minutes=30, seconds=7)
    folder = settings.landing_dir / "sensor_readings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sensor_readings_manual.csv").write_text(
        f"sensor_id,ts,value,quality\nL1-M1-TEMP,{ts:%Y-%m-%dT%H:%M:%S},999.0,good\n",
        encoding="utf-8",
    )
    return ts


def test_the_automation_posts_the_hold_to_a_webhook(
    labelled_plant: Plant,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    prefect_server: str,
    receiver: tuple[str, list[bytes]],
) -> None:
    from prefect.automations import Automation
    from prefect.blocks.webhook import Webhook
    from prefect.events.actions import CallWebhook
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.quality_watch import HOLD_EVENT

    url, bodies = receiver
    settings = labelled_plant.home(tmp_path)
    monkeypatch.setenv("TWIN_HOME", str(settings.home))
    hour_files(labelled_plant.source, settings.landing_dir, labelled_plant.source.days[WARMUP], 0)
    _bad_reading(settings, labelled_plant)
    with temporary_settings(updates={PREFECT_API_URL: prefect_server}):
        block = Webhook(method="POST", url=url, allow_private_urls=True)
        block_id = block.save("twin-quality-hold", overwrite=True)
        Automation(
            name="twin quality hold to webhook",
            trigger=EventTrigger(
                expect={HOLD_EVENT},
                match={"prefect.resource.id": "twin.quality.alert.*"},
                posture=Posture.Reactive,
                threshold=1,
                within=timedelta(0),
            ),
            actions=[
                CallWebhook(
                    block_document_id=block_id,
                    # The README's payload.
                    payload='{"alert": "{{ event.resource.name }}", '
                    '"evidence": {{ event.payload.evidence | tojson }}}',
                )
            ],
        ).create()
    # The cycle runs in its own process, as the deployment's worker would: Prefect's events
    # client is a per-process singleton, and one started earlier in this test process (the
    # session's ephemeral API) would keep sending to that other server.
    done = subprocess.run(
        [str(Path(sys.executable).parent / "twin"), "watch"],
        env={**os.environ, "TWIN_HOME": str(settings.home), "PREFECT_API_URL": prefect_server},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = "sensor:L1-M1-TEMP:out_of_range:"
    assert f"  {expected}" in done.stdout, done.stdout
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not bodies:
        time.sleep(0.5)
    posted = [json.loads(b) for b in bodies]
    assert any(
        p["alert"].startswith(expected) and "outside the valid range" in p["evidence"]
        for p in posted
    ), posted


def test_the_watch_and_an_analyst_run_at_the_same_time(
    labelled_plant: Plant, tmp_path: Path
) -> None:
    """An analyst queries plant.duckdb in a loop while watch cycles ingest, judge and swap the
    published file: no query fails, and the analyst's new connections see the new alerts."""
    settings = labelled_plant.home(tmp_path)
    day = labelled_plant.source.days[WARMUP]
    errors: list[BaseException] = []
    seen: list[int] = []
    stop = threading.Event()

    def analyst() -> None:
        while not stop.is_set():
            try:
                con = duckdb.connect(str(settings.published_path), read_only=True)
                try:
                    con.execute("select count(*) from twin.spc_limits").fetchone()
                    row = con.execute("select count(*) from history.watch_runs").fetchone()
                    seen.append(int(row[0]) if row else 0)
                finally:
                    con.close()
            except BaseException as exc:  # any failure of the analyst's query is the finding
                errors.append(exc)
            time.sleep(0.05)

    thread = threading.Thread(target=analyst)
    thread.start()
    try:
        for hour in range(3):
            hour_files(labelled_plant.source, settings.landing_dir, day, hour)
            result = run_watch(settings, as_of=day, lock_wait_s=0)
            assert result.published
        # The analyst's next new connection sees the last cycle's publish.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (not seen or seen[-1] < 3):
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert errors == []
    assert seen and seen[-1] == 3 and seen == sorted(seen)
