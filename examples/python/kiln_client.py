#!/usr/bin/env python3
"""A Kiln client in Python's standard library only (urllib, json).

What the origin's Streamlit and FastAPI apps did, against the Kiln HTTP API
(docs/API.md): create a batch from a template, follow its progress live from the
event stream (/api/events, server-sent events, resumed with Last-Event-ID when the
connection drops), and download its results as a ZIP.

    python3 kiln_client.py run --template curriculum-grid --axis subject=math,art \\
        --axis grade=3 --out results.zip

Use it as a module too: KilnClient(url, token).create_batch(...), .events(...),
.follow_batch(...), .download_export(...).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException
from typing import Any, Callable, Dict, Iterator, List, Optional

DEFAULT_URL = "http://127.0.0.1:7300"
FINISHED = ("completed", "failed", "cancelled")


class KilnError(Exception):
    """An error answered by the server ({"error": {"code", "message"}}) or no answer at all."""

    def __init__(self, code: str, message: str, status: Optional[int] = None) -> None:
        super().__init__(f"{message} ({code})")
        self.code = code
        self.message = message
        self.status = status


class Event:
    """One server-sent event: its type, its JSON data, and its id if it carried one."""

    def __init__(self, event: str, data: Any, id: Optional[str]) -> None:
        self.event = event
        self.data = data
        self.id = id

    def __repr__(self) -> str:
        return f"Event({self.event!r}, id={self.id!r})"


class KilnClient:
    def __init__(self, url: str = DEFAULT_URL, token: Optional[str] = None) -> None:
        self.url = url.rstrip("/")
        self.token = token or None

    # -- plumbing ---------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Dict[str, str]] = None,
        headers: Optional[Dict[str, str]] = None,
        timeout: float = 30.0,
    ):
        url = self.url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        all_headers = {"Accept": "application/json"}
        all_headers.update(headers or {})
        if self.token:
            all_headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=all_headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            raise _server_error(error) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise KilnError(
                "UNREACHABLE",
                f"cannot reach the Kiln server at {self.url} ({reason}); "
                "is it running? Start one with `kiln serve`",
            ) from None

    def _json(self, method: str, path: str, body: Any = None, query=None) -> Any:
        with self._request(method, path, body, query) as response:
            return json.loads(response.read().decode("utf-8"))

    # -- the API ----------------------------------------------------------------

    def create_batch(
        self,
        template: str,
        grid: Optional[Dict[str, List[Any]]] = None,
        params: Optional[Dict[str, Any]] = None,
        name: Optional[str] = None,
    ) -> Dict[str, Any]:
        """POST /api/batches from a template: one job per cell of the grid."""
        body: Dict[str, Any] = {"template": template}
        if grid is not None:
            body["grid"] = grid
        if params:
            body["params"] = params
        if name is not None:
            body["name"] = name
        return self._json("POST", "/api/batches", body)

    def get_batch(self, batch_id: str) -> Dict[str, Any]:
        return self._json("GET", f"/api/batches/{urllib.parse.quote(batch_id)}")

    def events(
        self,
        batch_id: Optional[str] = None,
        job_id: Optional[str] = None,
        last_event_id: Optional[str] = None,
        on_reconnect: Optional[Callable[[str], None]] = None,
        give_up_s: float = 60.0,
    ) -> Iterator[Event]:
        """GET /api/events as an endless iterator of events.

        A dropped connection is opened again with Last-Event-ID: the events go on with
        no gap and no duplicate. Stop iterating when you have what you need.
        """
        query = {}
        if batch_id:
            query["batchId"] = batch_id
        if job_id:
            query["jobId"] = job_id
        retry_s = 1.0
        failing_since: Optional[float] = None
        while True:
            headers = {"Accept": "text/event-stream"}
            if last_event_id:
                headers["Last-Event-ID"] = last_event_id
            parser = SseParser(last_event_id or "")
            try:
                # Keep-alive comments come every 15 s: 60 s of silence is a dead connection.
                with self._request("GET", "/api/events", query=query, headers=headers, timeout=60) as response:
                    for raw in response:
                        failing_since = None
                        for event in parser.feed_line(raw.decode("utf-8")):
                            last_event_id = parser.last_event_id
                            yield event
                reason = "the server closed the stream"
            except KilnError as error:
                if error.status is not None and error.status < 500:
                    raise  # a refusal (unknown batch, bad token) will not change
                failing_since = failing_since or time.monotonic()
                if time.monotonic() - failing_since > give_up_s:
                    raise
                reason = error.message
            except (OSError, HTTPException, socket.timeout) as error:
                reason = f"{type(error).__name__}: {error}"
            last_event_id = parser.last_event_id or last_event_id
            if parser.retry_ms is not None:
                retry_s = parser.retry_ms / 1000
            if on_reconnect:
                on_reconnect(reason)
            time.sleep(retry_s)

    def follow_batch(
        self,
        batch_id: str,
        on_job: Optional[Callable[[Dict[str, Any]], None]] = None,
        on_batch: Optional[Callable[[Dict[str, Any]], None]] = None,
        on_reconnect: Optional[Callable[[str], None]] = None,
    ) -> Dict[str, Any]:
        """Follows a batch live until it ends; returns the batch as it ended."""
        batch: Optional[Dict[str, Any]] = None
        caught_up = False
        for event in self.events(batch_id=batch_id, on_reconnect=on_reconnect):
            if event.event == "job" and on_job:
                on_job(event.data)
            elif event.event == "batch" and event.data.get("id") == batch_id:
                batch = event.data
                if on_batch:
                    on_batch(batch)
            # The snapshot (the batch, then its jobs) ends with a `snapshot` event; changes
            # after it carry ids. Only then has a finished batch told us everything.
            if event.event == "snapshot" or event.id is not None:
                caught_up = True
            if caught_up and batch is not None and batch["state"] in FINISHED:
                return batch
        raise AssertionError("unreachable")  # events() never ends on its own

    def download_export(self, batch_id: str, path: str, chunk_bytes: int = 1 << 16) -> int:
        """GET /api/batches/{id}/export streamed to `path`; returns its size in bytes.

        Written to `path + ".part"` and renamed when complete: a download cut short
        leaves no file that looks whole.
        """
        partial = path + ".part"
        size = 0
        try:
            with self._request(
                "GET",
                f"/api/batches/{urllib.parse.quote(batch_id)}/export",
                headers={"Accept": "application/zip"},
                timeout=120,
            ) as response, open(partial, "wb") as out:
                while True:
                    chunk = response.read(chunk_bytes)
                    if not chunk:
                        break
                    out.write(chunk)
                    size += len(chunk)
            os.replace(partial, path)
        except BaseException:
            if os.path.exists(partial):
                os.remove(partial)
            raise
        return size


class SseParser:
    """Server-sent events by the HTML standard's rules, fed one line at a time.

    Lines split on LF (with an optional CR before it), which is what Kiln sends; a
    comment line starts with ':'; an id counts only once its event is complete.
    """

    def __init__(self, last_event_id: str = "") -> None:
        self.last_event_id = last_event_id
        self.retry_ms: Optional[int] = None
        self._id_buffer = last_event_id
        self._id_seen = False
        self._event = ""
        self._data: List[str] = []

    def feed_line(self, line: str) -> List[Event]:
        line = line.rstrip("\n").rstrip("\r").lstrip("\ufeff")
        if line == "":
            return self._dispatch()
        if line.startswith(":"):
            return []
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            self._event = value
        elif field == "data":
            self._data.append(value)
        elif field == "id" and "\0" not in value:
            self._id_buffer = value
            self._id_seen = True
        elif field == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return []

    def _dispatch(self) -> List[Event]:
        self.last_event_id = self._id_buffer
        event, data, had_id = self._event or "message", self._data, self._id_seen
        self._event, self._data, self._id_seen = "", [], False
        if not data:
            return []
        text = "\n".join(data)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        return [Event(event, parsed, self.last_event_id if had_id else None)]


def _server_error(error: urllib.error.HTTPError) -> KilnError:
    try:
        body = json.loads(error.read().decode("utf-8"))
        return KilnError(body["error"]["code"], body["error"]["message"], error.code)
    except (ValueError, KeyError, TypeError):
        return KilnError(f"HTTP_{error.code}", f"HTTP {error.code}: {error.reason}", error.code)


# -- the command line --------------------------------------------------------------


def _value(text: str) -> Any:
    """A value from the command line: JSON when it parses (3, true), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _job_line(job: Dict[str, Any]) -> str:
    label = job.get("name") or f"{job['type']} {job['id'][-8:]}"
    progress = 1 if job["state"] == "completed" else job["progress"]
    message = job.get("progressMessage") or ""
    if job["state"] == "failed" and job.get("error"):
        message = job["error"]["message"]
    return f"job {label}: {job['state']} {int(progress * 100)}%" + (f" {message}" if message else "")


def _batch_line(batch: Dict[str, Any]) -> str:
    c = batch["counts"]
    return (
        f"batch {batch['name']}: {batch['state']} {c['completed']}/{c['total']} completed, "
        f"{c['failed']} failed, {int(batch['progress'] * 100)}%"
    )


def run(args: argparse.Namespace) -> int:
    client = KilnClient(args.url, args.token)
    grid = None
    if args.axis:
        grid = {}
        for axis in args.axis:
            key, _, values = axis.partition("=")
            grid[key] = [_value(v.strip()) for v in values.split(",")]
    params = {}
    for pair in args.param or []:
        key, _, value = pair.partition("=")
        params[key] = _value(value)

    batch = client.create_batch(args.template, grid=grid, params=params, name=args.name)
    print(f"created batch {batch['id']} ({batch['name']}, {batch['counts']['total']} jobs)", flush=True)

    printed: Dict[str, str] = {}

    def on_job(job: Dict[str, Any]) -> None:
        line = _job_line(job)
        if printed.get(job["id"]) != line:
            printed[job["id"]] = line
            print(line, flush=True)

    last_batch = [""]

    def on_batch(b: Dict[str, Any]) -> None:
        line = _batch_line(b)
        if line != last_batch[0]:
            last_batch[0] = line
            print(line, flush=True)

    def on_reconnect(reason: str) -> None:
        print(f"event stream lost ({reason}); resuming", file=sys.stderr, flush=True)

    final = client.follow_batch(batch["id"], on_job=on_job, on_batch=on_batch, on_reconnect=on_reconnect)
    print(f"batch {final['name']} {final['state']}", flush=True)
    if args.out:
        size = client.download_export(batch["id"], args.out)
        print(f"saved {args.out} ({size} bytes)", flush=True)
    return 0 if final["counts"]["completed"] == final["counts"]["total"] else 1


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="A Kiln client using only Python's standard library.")
    parser.add_argument("--url", default=os.environ.get("KILN_URL") or DEFAULT_URL,
                        help=f"server URL (env KILN_URL; default {DEFAULT_URL})")
    parser.add_argument("--token", default=os.environ.get("KILN_TOKEN") or None,
                        help="bearer token (env KILN_TOKEN)")
    commands = parser.add_subparsers(dest="command", required=True)
    r = commands.add_parser("run", help="create a batch from a template, follow it, download its ZIP")
    r.add_argument("--template", required=True, help="template name, e.g. curriculum-grid")
    r.add_argument("--axis", action="append", help="a grid axis, key=v1,v2 (repeatable)")
    r.add_argument("--param", action="append", help="a param over the template's, key=value")
    r.add_argument("--name", help="the batch's name")
    r.add_argument("--out", help="where to save the batch's ZIP when it ends")
    args = parser.parse_args(argv)
    try:
        return run(args)
    except KilnError as error:
        print(f"kiln_client: {error}", file=sys.stderr)
        return 4 if error.code == "UNREACHABLE" or error.status == 401 else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
