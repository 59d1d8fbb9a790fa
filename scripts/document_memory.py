"""A 50 MB document through a running hsbtrack, with the server's peak memory (``make document-memory``).

Sets up a throwaway instance (SQLite, local-disk storage, the demo), starts the app in its own process,
uploads a 50 MB PDF through the API as the demo's Police lead (streamed from the client in 1 MB pieces),
downloads it as the board manager, compares the bytes, and prints the server process's resident memory
(VmRSS) and its peak (VmHWM) before and after: streaming means neither grows with the file.
"""
# ruff: noqa: S603 (every command run is this virtualenv's own hsbtrack, with fixed arguments)

import hashlib
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BIN = Path(sys.executable).parent
SIZE = 50 * 1024 * 1024


def memory(pid) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmHWM", "VmRSS")):
            fields[line.split(":")[0]] = f"{int(line.split()[1]) // 1024} MB"
    return fields


def last_line(*args, env) -> str:
    done = subprocess.run([BIN / "hsbtrack", *args], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="hsbtrack-docmem-"))
    env = dict(os.environ, HSBTRACK_ENV="development", HSBTRACK_INSTANCE_PATH=str(folder / "instance"),
               DATABASE_URL=f"sqlite:///{folder / 'db.sqlite'}", HSBTRACK_DOCUMENT_MAX_MB="60")
    subprocess.run([BIN / "hsbtrack", "db", "upgrade"], env=env, capture_output=True, check=True)
    subprocess.run([BIN / "hsbtrack", "demo"], env=env, capture_output=True, check=True)
    lead, board = (last_line("users", "token", e, env=env) for e in ("police@example.org", "board@example.org"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([BIN / "hsbtrack", "run", "--port", str(port), "--no-reload"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        audit, agency = json.loads(_get(port, "/api/v1/areas/1/audits", board))[-1]["id"], 1
        print("server before:", memory(server.pid))
        body = b"%PDF-1.4\n%" + b"x" * (SIZE - 20) + b"\n%%EOF\n"
        boundary = uuid.uuid4().hex
        head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.putrequest("POST", f"/api/v1/audits/{audit}/responses/{agency}/1.1/documents")
        conn.putheader("Authorization", f"Bearer {lead}")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + len(body) + len(tail)))
        conn.endheaders()
        started = time.perf_counter()
        conn.send(head)
        for i in range(0, len(body), 1 << 20):
            conn.send(body[i:i + (1 << 20)])
        conn.send(tail)
        answer = conn.getresponse()
        document = json.loads(answer.read())
        print(f"upload: {answer.status}, {document['size']:,} bytes in {time.perf_counter() - started:.1f} s;",
              "server:", memory(server.pid))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        conn.request("GET", f"/api/v1/documents/{document['id']}/content", headers={"Authorization": f"Bearer {board}"})
        response, digest, count = conn.getresponse(), hashlib.sha256(), 0
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            count += len(chunk)
        same = digest.hexdigest() == hashlib.sha256(body).hexdigest()
        print(f"download: {response.status}, {count:,} bytes, same bytes: {same};", "server:", memory(server.pid))
        if not same or response.status != 200:
            sys.exit(1)
    finally:
        server.kill()


def _get(port, path, token) -> bytes:
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
            return conn.getresponse().read()
        except OSError:
            time.sleep(0.3)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
