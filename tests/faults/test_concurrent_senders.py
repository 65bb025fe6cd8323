"""Concurrent senders, threads x processes, against one `smsim serve`: every create
answers 201 with its own SID, and the server holds exactly those messages, once each."""

from __future__ import annotations

import json
import multiprocessing as mp
from collections import Counter
from pathlib import Path

import pytest
import requests
from faults_helpers import Serve, sender_process

pytestmark = pytest.mark.slow  # real `smsim serve` processes, real clock

PROCESSES = 3
THREADS = 4
PER_THREAD = 25
TOTAL = PROCESSES * THREADS * PER_THREAD


def _list_all(url: str, sid: str, token: str) -> list[dict]:
    """Every message of the account through the Twilio API, following next_page_uri."""
    messages: list[dict] = []
    path = f"/2010-04-01/Accounts/{sid}/Messages.json?PageSize=97"
    for _ in range(1000):  # bounded: TOTAL / 97 pages are needed
        page = requests.get(url + path, auth=(sid, token), timeout=30).json()
        messages.extend(page["messages"])
        if not page["next_page_uri"]:
            return messages
        path = page["next_page_uri"]
    raise AssertionError("paging did not end")


def test_threads_times_processes_lose_and_duplicate_nothing(tmp_path: Path):
    config = tmp_path / "load.yaml"
    config.write_text(json.dumps({"enforce_throughput": False}), encoding="utf-8")
    server = Serve("--db", str(tmp_path / "smsim.db"), "--config", str(config))
    try:
        sid, token = server.full_account
        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        procs = [
            ctx.Process(
                target=sender_process,
                args=(server.url, sid, token, p, THREADS, PER_THREAD, out),
                daemon=True,
            )
            for p in range(PROCESSES)
        ]
        for p in procs:
            p.start()
        results = [r for _ in procs for r in out.get(timeout=120)]
        for p in procs:
            p.join(30)
        listed = _list_all(server.url, sid, token)
        control = requests.get(
            f"{server.url}/_smsim/messages", params={"limit": "100000"}, timeout=30
        ).json()["messages"]
    finally:
        server.stop()

    assert len(results) == TOTAL
    assert Counter(code for _, code, _ in results) == {201: TOTAL}
    sids = [s for _, _, s in results]
    assert len(set(sids)) == TOTAL, "a SID was handed out twice"
    tags = {tag for tag, _, _ in results}
    assert len(tags) == TOTAL
    # The server holds exactly what was acknowledged: no loss, no duplicate, bodies intact.
    assert sorted(m["sid"] for m in listed) == sorted(sids)
    assert sorted(m["sid"] for m in control) == sorted(sids)
    assert {m["sid"]: m["body"] for m in listed} == {s: tag for tag, _, s in results}
