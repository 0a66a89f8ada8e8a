#!/usr/bin/env python3
"""The worst clients of ``it2en serve``, all at once, against a running service: what an
operator runs before putting it on a public address, and what the tests run (``--quick``)
on the tiny models.

While a watcher asks ``/healthz`` every 50 ms (the longest answer is the service's worst
stall), it sends:

* **bad neighbours**: rounds of 20 good ``/translate`` requests, each with a key of its
  own, pooled with one whose ``q`` holds a lone surrogate: every good one must get its
  own translation, the bad one a 400, and no answer may quote another request's text;
* **hostile values** in every field of every operation of the service's OpenAPI schema
  (lone surrogates, NUL, control characters, 100,000 nested lists, 1e999, huge numbers,
  wrong types, empty values), as JSON, as a form and in the query string: never a 5xx,
  every refusal ``{"error": "..."}``;
* **a chunked flood** without a key or a length (``--flood-mb``): refused at the body
  limit, the service's memory (``--pid``) never growing by much more than the limit;
* **slow heads and slow bodies**: connections that trickle their headers, or their body,
  a byte a second: closed (heads) or refused with 408 (bodies) within their time-outs;
* **huge documents**: a Word file of ``--paragraphs`` paragraphs, and one whose parts
  hold 500,000 empty ones, sent to ``/v1/translate``: answered (or refused) with no 5xx
  while ``/healthz`` keeps answering.

Usage::

    python scripts/hostile_client.py http://127.0.0.1:5000 --keys keys.txt --pid PID --json out.json

Exit status 1 when any check fails; the JSON holds every measurement.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import io
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile
from pathlib import Path
from typing import Any

GOOD = "Il museo civico resterà aperto fino alle otto di sera."
HOSTILE: dict[str, Any] = {
    "lone surrogate": "ciao \ud800",
    "NUL": "a\x00b",
    "controls": "\x1b[31m\x07\x08",
    "huge number": 10**400,
    "infinity": 1e999,
    "negative": -1,
    "object": {"a": "b"},
    "empty list": [],
    "list of numbers": [1, 2],
    "empty": "",
    "null": None,
    "long": "parola " * 4000,
}
"""Values sent in each field of each operation (JSON, and as text in forms and queries)."""


class Client:
    """HTTP to one service: JSON, forms, raw sockets; every answer's status recorded."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        parts = urllib.parse.urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.statuses: list[tuple[str, int]] = []
        self.bad_bodies: list[str] = []
        self._lock = threading.Lock()

    def request(self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
                method: str | None = None, timeout: float = 120) -> tuple[int, bytes]:  # fmt: skip
        request = urllib.request.Request(self.url + path, data=body, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                status, data = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, data = error.code, error.read()
        with self._lock:
            self.statuses.append((path, status))
            if status >= 400 and not _is_error_body(data, "message" if path.startswith("/v2/") else "error"):
                self.bad_bodies.append(f"{path} {status}: {data[:120]!r}")
        return status, data

    def json(self, path: str, data: Any, key: str | None = None) -> tuple[int, Any]:
        raw = json.dumps(data, allow_nan=True).encode()
        headers = {"content-type": "application/json", **({"authorization": f"Bearer {key}"} if key else {})}
        status, body = self.request(path, raw, headers)
        try:
            return status, json.loads(body)
        except ValueError:
            return status, body

    def connect(self) -> socket.socket:
        return socket.create_connection((self.host, self.port), timeout=30)


def _is_error_body(data: bytes, key: str) -> bool:
    """Whether ``data`` is the API's error shape: ``{key: "..."}`` (LibreTranslate's
    ``error``, DeepL's ``message`` under ``/v2/``)."""
    try:
        parsed = json.loads(data)
    except ValueError:
        return False
    return isinstance(parsed, dict) and isinstance(parsed.get(key), str)


_WATCH = """
import json, sys, threading, time, urllib.request
done, worst, failures = threading.Event(), 0.0, 0
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
while not done.wait(0.05):
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(sys.argv[1] + "/healthz", timeout=30) as response:
            failures += response.status != 200
    except OSError:
        failures += 1
    worst = max(worst, time.perf_counter() - started)
print(json.dumps({"worst": worst, "failures": failures}))
"""


class Watcher:
    """Asks /healthz every 50 ms from a process of its own (so that the clients' own work
    in this one never counts as the service's) and keeps the slowest answer: the
    service's worst stall. It ends when its standard input is closed."""

    def __init__(self, client: Client):
        self.url, self.worst, self.failures = client.url, 0.0, 0
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", _WATCH, self.url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def stop(self) -> None:
        assert self._process is not None
        out, _ = self._process.communicate(timeout=60)
        seen = json.loads(out)
        self.worst, self.failures = seen["worst"], seen["failures"]


def bad_neighbours(client: Client, keys: list[str], rounds: int) -> dict[str, Any]:
    """Rounds of 20 good requests and one with a lone surrogate, sent together."""
    wrong, leaked = 0, 0
    for round_ in range(rounds):
        texts = [f"{GOOD} Numero {round_}-{n}." for n in range(20)]
        poison = f"Veleno {round_} \ud800 segreto."
        with concurrent.futures.ThreadPoolExecutor(21) as pool:
            good = [
                pool.submit(
                    client.json,
                    "/translate",
                    {
                        "q": t,
                        "source": "it",
                        "target": "en",
                        **({"api_key": keys[n % len(keys)]} if keys else {}),
                    },
                )  # fmt: skip
                for n, t in enumerate(texts)
            ]
            bad = pool.submit(client.json, "/translate", {"q": poison, "source": "it", "target": "en",
                              **({"api_key": keys[-1]} if keys else {})})  # fmt: skip
            answers = [f.result() for f in good]
            bad_status, bad_answer = bad.result()
        wrong += sum(status != 200 for status, _ in answers) + (bad_status != 400)
        leaked += sum("Veleno" in json.dumps(answer) for _, answer in answers)
        leaked += any(t in json.dumps(bad_answer) for t in texts)
    return {"rounds": rounds, "wrong_statuses": wrong, "leaks": leaked, "ok": wrong == 0 and leaked == 0}


def _operations(client: Client) -> list[tuple[str, str, list[str], bool]]:
    """Every operation of the schema: method, path, its body's fields, whether it takes a
    file."""
    _, raw = client.request("/openapi.json")
    schema = json.loads(raw)
    found = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {})
            names: set[str] = set()
            for media in content.values():
                names |= set(media.get("schema", {}).get("properties", {}))
            found.append((method.upper(), path, sorted(names), "multipart/form-data" in content))
    return found


def hostile_values(client: Client, key: str | None) -> dict[str, Any]:
    """Each hostile value in each field of each operation, as JSON, a form and a query."""
    sent = 0
    for method, path, names, _ in _operations(client):
        concrete = path.replace("{job_id}", "A" * 22).replace("{name}", "x.txt")
        for name in names or ["q"]:
            for value in HOSTILE.values():
                body = json.dumps({name: value, **({"api_key": key} if key and name != "api_key" else {})},
                                  allow_nan=True).encode()  # fmt: skip
                client.request(concrete, body if method != "GET" else None,
                               {"content-type": "application/json"}, method)  # fmt: skip
                text = value if isinstance(value, str) else json.dumps(value, allow_nan=True)
                form = urllib.parse.urlencode({name: text}, errors="surrogatepass").encode()
                client.request(concrete, form if method != "GET" else None,
                               {"content-type": "application/x-www-form-urlencoded"}, method)  # fmt: skip
                query = urllib.parse.urlencode({name: text[:2000]}, errors="surrogatepass")
                client.request(f"{concrete}?{query}", b"" if method == "POST" else None, {}, method)
                sent += 3
    deep = ("[" * 100_000 + "]" * 100_000).encode()
    for path in ("/translate", "/v1/translate", "/detect", "/v1/jobs"):
        client.request(path, b'{"q": ' + deep + b"}", {"content-type": "application/json"})
        client.request(path, b"{not json", {"content-type": "application/json"})
        client.request(path, b"\xff\xfe\x00", {"content-type": "application/x-www-form-urlencoded"})
        sent += 3
    for method in ("PUT", "PATCH", "DELETE"):
        client.request("/translate", b"", {}, method)
        sent += 1
    client.request("/no/such/path")
    return {"requests": sent + 1}


def chunked_flood(client: Client, megabytes: int, pid: int | None) -> dict[str, Any]:
    """A chunked body of ``megabytes`` MB without a key or a length: how much the service
    read before it refused, and how much its memory grew."""
    before = _rss(pid)
    sent, answer = 0, b""
    chunk = b"a" * (1 << 20)
    with client.connect() as sock:
        sock.sendall(
            b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n17\r\n" + b'{"source": "it", "q": "' + b"\r\n"
        )
        try:
            for _ in range(megabytes):
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the service closed the connection: refused mid-body
            pass
        try:
            answer = sock.recv(4096)
        except OSError:
            pass
    grown = (_rss(pid) - before) if pid else None
    status = int(answer.split(b" ")[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return {"sent_mb": round(sent / 2**20, 1), "status": status, "rss_growth_mb": grown,
            "ok": status == 413 and (grown is None or grown < 64)}  # fmt: skip


def _rss(pid: int | None) -> float:
    if not pid:
        return 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slow_clients(client: Client, seconds: float, connections: int) -> dict[str, Any]:
    """Connections that trickle a head, or a body, one byte a second for ``seconds``: how
    many the service closed or refused in time."""

    def trickle(prefix: bytes, payload: bytes) -> bytes:
        """``prefix`` at once, then ``payload`` a byte a second: what the service said
        (``closed`` when it closed the connection), or nothing within ``seconds``."""
        with client.connect() as sock:
            sock.settimeout(1.0)
            sock.sendall(prefix)
            deadline = time.monotonic() + seconds
            for byte in payload:
                if time.monotonic() > deadline:
                    break
                try:
                    sock.sendall(bytes([byte]))
                    return sock.recv(4096) or b"closed"
                except socket.timeout:
                    continue
                except OSError:
                    return b"closed"
            return b""

    head = b"POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: " + b"a" * 200
    body = json.dumps({"q": GOOD * 4, "source": "it", "target": "en"}).encode()
    body_head = (
        "POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with concurrent.futures.ThreadPoolExecutor(2 * connections) as pool:
        heads = [pool.submit(trickle, b"", head) for _ in range(connections)]
        bodies = [pool.submit(trickle, body_head, body) for _ in range(connections)]
        head_ends = [f.result() for f in heads]
        body_ends = [f.result() for f in bodies]
    closed = sum(end == b"closed" for end in head_ends)
    refused = sum(end.startswith(b"HTTP/1.1 408") for end in body_ends)
    return {"slow_heads_closed": closed, "slow_bodies_refused": refused, "connections": connections,
            "ok": closed == connections and refused == connections}  # fmt: skip


def word_file(paragraphs: int, empty: int = 0) -> bytes:
    """A Word file of ``paragraphs`` short paragraphs, then ``empty`` empty ones."""
    import docx

    made = docx.Document()
    made.add_paragraph("Relazione", style="Heading 1")
    for n in range(paragraphs):
        made.add_paragraph(f"Paragrafo {n}: {GOOD}")
    data = io.BytesIO()
    made.save(data)
    if not empty:
        return data.getvalue()
    archive, out = zipfile.ZipFile(io.BytesIO(data.getvalue())), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for item in archive.infolist():
            part = archive.read(item)
            if item.filename == "word/document.xml":
                part = part.replace(b"<w:body>", b"<w:body>" + b"<w:p/>" * empty, 1)
            copy.writestr(item, part)
    return out.getvalue()


def huge_documents(client: Client, key: str | None, paragraphs: int) -> dict[str, Any]:
    """Word files of many paragraphs sent to /v1/translate: each answer's status."""
    statuses = {}
    for label, data in (("paragraphs", word_file(paragraphs)), ("empty paragraphs", word_file(10, 500_000))):
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="grande.docx"\r\n'
                f"Content-Type: application/octet-stream\r\n\r\n"
            ).encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"content-type": f"multipart/form-data; boundary={boundary}",
                   **({"authorization": f"Bearer {key}"} if key else {})}  # fmt: skip
        started = time.perf_counter()
        status, _ = client.request("/v1/translate", body, headers, timeout=600)
        statuses[label] = {"status": status, "seconds": round(time.perf_counter() - started, 1),
                           "kb": len(data) // 1024}  # fmt: skip
    return {**statuses, "ok": all(s["status"] < 500 for s in statuses.values())}


def run(url: str, keys: list[str], *, pid: int | None, quick: bool, slow_seconds: float) -> dict[str, Any]:
    """Every check above against the service at ``url``; the report."""
    client = Client(url)
    watcher = Watcher(client)
    watcher.start()
    report: dict[str, Any] = {}
    try:
        report["bad_neighbours"] = bad_neighbours(client, keys, 3 if quick else 20)
        report["hostile_values"] = hostile_values(client, keys[0] if keys else None)
        report["chunked_flood"] = chunked_flood(client, 16 if quick else 300, pid)
        report["slow_clients"] = slow_clients(client, slow_seconds, 4 if quick else 50)
        report["huge_documents"] = huge_documents(
            client, keys[0] if keys else None, 20_000 if quick else 100_000
        )
    finally:
        watcher.stop()
    fives = [f"{path} {status}" for path, status in client.statuses if status >= 500 and path != "/healthz"]
    report["server_errors"] = fives[:20]
    report["errors_not_in_the_apis_shape"] = client.bad_bodies[:20]
    report["healthz"] = {"worst_seconds": round(watcher.worst, 3), "failures": watcher.failures}
    report["requests"] = len(client.statuses)
    report["ok"] = (
        all(v.get("ok", True) for v in report.values() if isinstance(v, dict))
        and not fives
        and not client.bad_bodies
        and watcher.worst < 1.0
        and watcher.failures == 0
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--keys", type=Path, help="a file of keys the service accepts, one a line")
    parser.add_argument("--pid", type=int, help="the service's process, to watch its memory")
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller floods and documents")
    parser.add_argument("--slow-seconds", type=float, default=15.0, help="how long slow clients trickle")
    parser.add_argument("--json", type=Path, help="write the report here")
    args = parser.parse_args()
    keys = [k.strip() for k in args.keys.read_text().splitlines() if k.strip()] if args.keys else []
    report = run(args.url, keys, pid=args.pid, quick=args.quick, slow_seconds=args.slow_seconds)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    raise SystemExit(0 if report["ok"] else 1)


if __name__ == "__main__":
    main()
