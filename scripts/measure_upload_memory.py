"""Peak memory of a web worker receiving one bulk upload (docs/scaling.md quotes it).

    .venv/bin/python scripts/measure_upload_memory.py [--mb 19.3]

Starts the app under gunicorn (one sync worker, as deployed) on a throwaway SQLite
database and storage folder, signs in an editor over HTTP, posts text files adding up
to about --mb MB to the bulk upload with a streamed request body (CSRF token and all),
and prints the worker's peak resident memory (VmHWM in /proc) before and after, with
the size of the job row it created and how many bytes went to storage.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops.bench import servers  # noqa: E402

SENTENCE = (
    "The Northland Defence Ministry said on Thursday that a patrol had crossed the river "
    "near the old bridge, and the Southland Foreign Ministry rejected the account. "
)
FILE_BYTES = 780_000  # under the per-article limit (4 bytes × IMPORT_MAX_CHARS)


def vm_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def worker_pid(master: int) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = subprocess.run(  # noqa: S603
            ["ps", "-o", "pid=", "--ppid", str(master)],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        ).stdout.split()
        if out:
            return int(out[0])
        time.sleep(0.2)
    raise RuntimeError("gunicorn started no worker")


def multipart(path: Path, files: int, token: str) -> str:
    """Write the request body to `path`; its content type."""
    boundary = uuid.uuid4().hex
    text = (SENTENCE * (FILE_BYTES // len(SENTENCE) + 1))[:FILE_BYTES].encode()
    with path.open("wb") as out:
        out.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"'
            f"\r\n\r\n{token}\r\n".encode()
        )
        for i in range(files):
            out.write(
                f'--{boundary}\r\nContent-Disposition: form-data; name="articles"; '
                f'filename="article-{i:03d}.txt"\r\nContent-Type: text/plain\r\n\r\n'.encode()
            )
            out.write(text)
            out.write(b"\r\n")
        out.write(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=float, default=19.3, help="total size of the files")
    args = parser.parse_args()
    files = max(1, round(args.mb * 1_000_000 / FILE_BYTES))
    with tempfile.TemporaryDirectory() as tmp:
        env = servers.server_env(
            f"sqlite:///{tmp}/db.sqlite3", MEDIA_ROOT=f"{tmp}/media", PUBLIC_PAGE_CACHE="0"
        )
        servers.manage(env, "migrate", "--no-input", "-v", "0", timeout=600)
        servers.manage(env, "createcachetable")
        password = secrets.token_urlsafe(16)
        servers.manage(env, "createuser", "measure", "--role", "editor", "--password", password)
        port = servers.free_port()
        base = f"http://127.0.0.1:{port}"
        master = subprocess.Popen(  # noqa: S603
            [servers.PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind",
             f"127.0.0.1:{port}", "--workers", "1", "--timeout", "120"],
            cwd=servers.ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            pid = worker_pid(master.pid)
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            deadline = time.monotonic() + 60
            while True:
                try:
                    page = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.3)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token, "no CSRF token on the sign-in page"
            form = {"username": "measure", "password": password, "csrfmiddlewaretoken": token[1]}
            opener.open(
                f"{base}/accounts/login/", urllib.parse.urlencode(form).encode(), timeout=10
            ).read()
            page = opener.open(f"{base}/import/bulk/", timeout=30).read().decode()
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
            assert token, "not signed in as an editor"
            before = vm_hwm_kib(pid)
            body = Path(tmp) / "body"
            content_type = multipart(body, files, token[1])
            cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            started = time.monotonic()
            with body.open("rb") as stream:
                connection.request(
                    "POST",
                    "/import/bulk/",
                    body=stream,
                    headers={
                        "Content-Type": content_type,
                        "Content-Length": str(body.stat().st_size),
                        "Cookie": cookies,
                    },
                )
                response = connection.getresponse()
                response.read()
            took = time.monotonic() - started
            after = vm_hwm_kib(pid)
        finally:
            master.terminate()
            master.wait(15)
        row = servers.run_python(
            env,
            "import json; from imports.models import ImportJob\n"
            "job = ImportJob.objects.order_by('-pk').first()\n"
            "print(len(json.dumps(job.payload)) if job else -1)",
        ).strip()
        media = Path(tmp) / "media"
        stored = sum(p.stat().st_size for p in media.rglob("*") if p.is_file())
        print(
            f"upload: {files} files, {body.stat().st_size / 1_048_576:.1f} MiB body, "
            f"answered {response.status} in {took:.1f} s"
        )
        print(
            f"worker peak RSS (VmHWM): {before / 1024:.0f} MiB before the upload, "
            f"{after / 1024:.0f} MiB after (+{(after - before) / 1024:.0f} MiB)"
        )
        print(f"job row payload: {row} bytes of JSON; storage: {stored / 1_048_576:.1f} MiB")


if __name__ == "__main__":
    main()
