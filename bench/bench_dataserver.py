"""Data-server throughput next to nginx and ``python -m http.server``, measured in the same run.

- GET of a 1 GiB file (page cache warm) from our server, nginx (sendfile on, one worker, a
  config of its own on a random loopback port) and http.server; the same client reads each.
  Then the same file through ``HttpStore`` (stream verified; then downloaded to disk).
- PUT of the same file: the raw request (checksum known, so this is the server's receive,
  sha256, fsync and link), the client's whole ``HttpStore.put`` (hashing first), next to a
  plain copy + fsync of the file on the same disk.
- Peer fetch: GET from a server that must fetch the file from its peer (relayed while it is
  cached), next to a GET of a local file.
- 50 concurrent clients GETting small files (requests/s) from all three servers.

Goals: GET >= 0.9x nginx; PUT >= 0.7 GB/s including checksum and fsync; peer fetch <= 1.3x
a local GET. nginx is installed with apt-get when missing and running as root.

Usage: python bench/bench_dataserver.py [--size-mb 1024] [--repeat 3] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dataserver.client import HttpStore
from dataserver.store import CHUNK_SIZE, sha256_of
from dataserver.tokens import hash_token

TOKEN = "bench-user-token"
SERVICE = "bench-service-token"
SMALL_FILES = 100
SMALL_SIZE = 16 * 1024
CONCURRENCY = 50
REQUESTS_PER_CLIENT = 200
GiB = 1 << 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port}")


class Servers:
    """Every process the benchmark starts, stopped at the end."""

    def __init__(self) -> None:
        self.processes: list[subprocess.Popen] = []

    def start(self, argv: list[str], port: int, what: str, **options) -> subprocess.Popen:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   **options)
        self.processes.append(process)
        wait_for_port(port, process, what)
        return process

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def ensure_nginx() -> str | None:
    """The nginx binary; installed from Debian's package when missing and running as root."""
    found = shutil.which("nginx") or (Path("/usr/sbin/nginx").is_file() and "/usr/sbin/nginx")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("nginx is missing (install Debian's nginx package); its figures are skipped")
        return None
    print("installing nginx (apt-get install nginx) ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=environment,
                   stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-qq", "nginx"], check=True, env=environment,
                   stdout=subprocess.DEVNULL)
    return shutil.which("nginx") or "/usr/sbin/nginx"


def start_nginx(servers: Servers, binary: str, work: Path, www: Path) -> int:
    port = free_port()
    prefix = work / "nginx"
    (prefix / "temp").mkdir(parents=True)
    config = prefix / "nginx.conf"
    # As root, nginx's worker would switch to an unprivileged user that cannot read the
    # benchmark's private directory.
    user = "user root;" if os.geteuid() == 0 else ""
    config.write_text(f"""
{user}
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
    sendfile on;
    tcp_nopush on;
    access_log off;
    keepalive_requests 100000;
    client_body_temp_path {prefix}/temp/body;
    proxy_temp_path {prefix}/temp/proxy;
    fastcgi_temp_path {prefix}/temp/fastcgi;
    uwsgi_temp_path {prefix}/temp/uwsgi;
    scgi_temp_path {prefix}/temp/scgi;
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {www};
        location /files/ {{ alias {www}/; }}
    }}
}}
""")
    servers.start([binary, "-p", str(prefix), "-c", str(config)], port, "nginx")
    return port


def read_all(port: int, path: str, headers: dict[str, str] | None = None) -> float:
    """GET ``path`` and discard the body; return seconds. The same client for every server."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    buffer = memoryview(bytearray(4 << 20))
    started = time.perf_counter()
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"GET {path} on {port}: {response.status} {response.read()[:200]}")
    received = 0
    while count := response.readinto(buffer):
        received += count
    elapsed = time.perf_counter() - started
    connection.close()
    if received != int(response.getheader("Content-Length")):
        raise RuntimeError(f"GET {path} on {port}: short body")
    return elapsed


def read_through_client(client: HttpStore, name: str) -> float:
    """Stream ``name`` through the client (verifying it) and discard it; return seconds."""
    started = time.perf_counter()
    with client.open(name) as stream:
        while stream.read(CHUNK_SIZE * 4):
            pass
    return time.perf_counter() - started


def best(times: list[float]) -> float:
    return statistics.median(times)


def raw_put(port: int, name: str, source: Path, sha256: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    size = source.stat().st_size
    started = time.perf_counter()
    connection.putrequest("PUT", f"/files/{name}")
    for key, value in (("Authorization", f"Bearer {TOKEN}"), ("X-Checksum-Sha256", sha256),
                       ("Content-Length", str(size))):
        connection.putheader(key, value)
    connection.endheaders()
    with open(source, "rb") as stream:
        connection.sock.sendfile(stream)
    response = connection.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    if response.status != 201:
        raise RuntimeError(f"PUT {name}: {response.status} {body[:200]}")
    return elapsed


def write_to_page_cache(size: int, target: Path) -> float:
    """Reference: write ``size`` bytes into a new file, no fsync (what caching a copy costs)."""
    block = os.urandom(4 << 20)
    started = time.perf_counter()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for _ in range(0, size, len(block)):
            os.write(fd, block)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def copy_and_fsync(source: Path, target: Path) -> float:
    """Reference: a plain copy of the file with fsync, no checksum."""
    started = time.perf_counter()
    with open(source, "rb") as reader, open(target, "wb") as writer:
        while chunk := reader.read(CHUNK_SIZE * 4):
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return time.perf_counter() - started


async def _hammer(port: int, paths: list[str], headers: str, clients: int,
                  per_client: int) -> float:
    """``clients`` connections each GET ``per_client`` small files; return requests/s."""

    async def one_client(index: int) -> None:
        reader = writer = None
        for number in range(per_client):
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            path = paths[(index + number) % len(paths)]
            writer.write(f"GET {path} HTTP/1.1\r\nHost: bench\r\n{headers}\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").lower().split("\r\n")
            if not lines[0].split()[1] == "200":
                raise RuntimeError(f"GET {path}: {lines[0]}")
            length = next(int(line.split(":")[1]) for line in lines
                          if line.startswith("content-length:"))
            await reader.readexactly(length)
            if any(line.startswith("connection: close") for line in lines) or \
                    lines[0].startswith("http/1.0"):
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client(index) for index in range(clients)))
    return clients * per_client / (time.perf_counter() - started)


def requests_per_second(port: int, paths: list[str], headers: str = "") -> float:
    return asyncio.run(_hammer(port, paths, headers, CONCURRENCY, REQUESTS_PER_CLIENT))


def line(label: str, value: str, reference: str = "", ratio: str = "") -> None:
    print(f"{label:44} {value:>14} {reference:>30} {ratio}")


def gbps(size: int, seconds: float) -> str:
    return f"{size / seconds / 1e9:6.2f} GB/s"


def measure(function: Callable[[], float], repeat: int) -> float:
    return best([function() for _ in range(repeat)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-dataserver-", dir=Path.cwd()))
    servers = Servers()
    try:
        run(args, work, servers)
    finally:
        servers.stop()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, servers: Servers) -> None:
    size = args.size_mb << 20
    print(f"file {args.size_mb} MiB, median of {args.repeat}; other work on this machine makes "
          "these figures noisy")
    www = work / "www"
    www.mkdir()
    source = work / "big.fits"
    with open(source, "wb") as stream:
        for index in range(0, size, 8 << 20):
            stream.write(os.urandom(min(8 << 20, size - index)))
    sha256 = sha256_of(source)
    os.link(source, www / "big.fits")
    small_names = []
    for index in range(SMALL_FILES):
        name = f"small-{index:03d}.fits"
        (www / name).write_bytes(os.urandom(SMALL_SIZE))
        small_names.append(name)

    (work / "users").write_text(f"bench {hash_token(TOKEN)}\n")
    (work / "service").write_text(hash_token(SERVICE) + "\n")
    (work / "peer").write_text("bench-peer-token\n")
    port_a, port_b = free_port(), free_port()
    common = ["--tokens", str(work / "users"), "--service-token", str(work / "service"),
              "--peer-token", str(work / "peer"), "--min-free", "0"]
    servers.start([sys.executable, "-m", "dataserver", "--root", str(work / "a"), "--port",
                   str(port_a), *common], port_a, "data server a")
    servers.start([sys.executable, "-m", "dataserver", "--root", str(work / "b"), "--port",
                   str(port_b), "--peer", f"http://127.0.0.1:{port_a}", *common], port_b,
                  "data server b")
    auth = {"Authorization": f"Bearer {TOKEN}"}

    # -- PUT ----------------------------------------------------------------------------------
    print("\nPUT (server: receive, sha256, write, fsync, link)")
    copies = [copy_and_fsync(source, work / f"copy-{index}") for index in range(args.repeat)]
    for index in range(args.repeat):
        (work / f"copy-{index}").unlink()
    reference = best(copies)
    puts = []
    for index in range(args.repeat):
        puts.append(raw_put(port_a, f"put-{index}.fits", source, sha256))
    put = best(puts)
    client = HttpStore([f"http://127.0.0.1:{port_a}"], token=TOKEN)
    started = time.perf_counter()
    client.put(source, "big.fits")
    whole_put = time.perf_counter() - started
    line("reference: plain copy + fsync (no checksum)", gbps(size, reference))
    line("data server PUT", gbps(size, put), "goal 0.70 GB/s",
         f"ratio {reference / put:4.2f}x copy+fsync")
    line("HttpStore.put (hash file, then PUT)", gbps(size, whole_put))

    # -- GET ----------------------------------------------------------------------------------
    print("\nGET (page cache warm, one client reading and discarding)")
    nginx = ensure_nginx()
    nginx_port = start_nginx(servers, nginx, work, www) if nginx else None
    http_port = free_port()
    servers.start([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(http_port),
                   "--directory", str(www)], http_port, "http.server")
    read_all(port_a, "/files/big.fits", auth)
    ours = measure(lambda: read_all(port_a, "/files/big.fits", auth), args.repeat)
    figures = {"data server": ours}
    if nginx_port:
        figures["nginx (sendfile on)"] = measure(lambda: read_all(nginx_port, "/big.fits"),
                                                 args.repeat)
    figures["python -m http.server"] = measure(lambda: read_all(http_port, "/big.fits"),
                                               args.repeat)
    for label, seconds in figures.items():
        line(label, gbps(size, seconds))
    if nginx_port:
        line("data server / nginx", "", "goal >= 0.90",
             f"ratio {figures['nginx (sendfile on)'] / ours:4.2f}")
    line("data server / http.server", "", "",
         f"ratio {figures['python -m http.server'] / ours:4.2f}")
    line("HttpStore.open + read (client: pooled connection, sha256 verified)",
         gbps(size, measure(lambda: read_through_client(client, "big.fits"), args.repeat)))
    started = time.perf_counter()
    client.get("big.fits", work / "back.fits")
    line("HttpStore.get (verified, fsynced to disk)", gbps(size, time.perf_counter() - started))
    (work / "back.fits").unlink()

    # -- peer fetch ----------------------------------------------------------------------------
    print("\nPeer fetch (b has no copy: it relays a's file while caching it)")
    service = HttpStore([f"http://127.0.0.1:{port_b}"], token=SERVICE)
    fetches = []
    for _ in range(args.repeat):
        fetches.append(read_all(port_b, "/files/big.fits", auth))
        wait_cached(work / "b", time.monotonic() + 120)
        service.collect(["big.fits"], 0)
    fetch = best(fetches)
    local = measure(lambda: read_all(port_a, "/files/big.fits", auth), args.repeat)
    cache = measure(lambda: write_to_page_cache(size, work / "cache-test"), args.repeat)
    line("reference: write the file to the page cache", gbps(size, cache))
    line("local GET (a)", gbps(size, local))
    line("peer fetch GET (b from a)", gbps(size, fetch), "goal <= 1.30",
         f"ratio {fetch / local:4.2f}x local, {fetch / cache:4.2f}x page-cache write")

    # -- many small files -------------------------------------------------------------------------
    print(f"\n{CONCURRENCY} concurrent clients, GET of {SMALL_SIZE // 1024} KiB files "
          f"({CONCURRENCY * REQUESTS_PER_CLIENT} requests)")
    store_a = HttpStore([f"http://127.0.0.1:{port_a}"], token=TOKEN)
    for name in small_names:
        store_a.put(www / name, name)
    paths = [f"/files/{name}" for name in small_names]
    ours_rps = requests_per_second(port_a, paths, f"Authorization: Bearer {TOKEN}\r\n")
    line("data server", f"{ours_rps:8.0f} req/s")
    if nginx_port:
        nginx_rps = requests_per_second(nginx_port, [f"/{name}" for name in small_names])
        line("nginx", f"{nginx_rps:8.0f} req/s", "", f"ratio {ours_rps / nginx_rps:4.2f}")
    try:
        http_rps = requests_per_second(http_port, [f"/{name}" for name in small_names])
    except (ConnectionError, asyncio.IncompleteReadError) as exc:
        # socketserver listens with a backlog of 5: 50 clients at once overflow it.
        line("python -m http.server", "   failed", "", f"{exc!r} under {CONCURRENCY} clients")
    else:
        line("python -m http.server", f"{http_rps:8.0f} req/s", "",
             f"ratio {ours_rps / http_rps:4.2f}")


def wait_cached(root: Path, deadline: float) -> None:
    """Wait until server b has linked its cached copy (it fsyncs after relaying)."""
    while not any(root.joinpath("files").rglob("big.fits")):
        if time.monotonic() > deadline:
            raise RuntimeError("server b never cached the fetched file")
        time.sleep(0.05)


if __name__ == "__main__":
    main()
