"""Content made per request: PNG "slice views" of a model, drawn from query parameters.

What it teaches
    Seed 000's closing example served "slice views of models used for Monte
    Carlo analysis using DAGMC": the server computes a picture on demand, so
    a colleague needs only a browser, not the whole software stack.  Here
    the model is a small analytic geometry -- a torus (the "plasma"), a
    central sphere and a cylindrical shell -- and

    ``GET /``                          an HTML page with a few slices
    ``GET /slice.png?z=0.2&size=200``  the cross-section at height ``z``
                                       (-1..1), ``size`` x ``size`` pixels

    is drawn for every request by a 30-line PNG writer (``zlib`` +
    ``struct``, no third-party package).

What to watch for
    * Validate the parameters: a missing or bad ``z`` is a 400 Bad Request,
      and ``size`` is bounded (16..400) so one URL cannot make the server
      allocate gigabytes.
    * Binary bodies: Content-Type ``image/png`` and Content-Length in bytes.
    * Generated content should say whether it may be cached
      (``Cache-Control``); these images depend only on the URL, so they may.

Sources: seed 000 ("Example: Dagmc Model Views"); PNG specification (W3C,
chunks IHDR/IDAT/IEND, CRC-32); Python docs: zlib, struct, http.server;
RFC 9110 sections 8.3 (Content-Type) and 15.5.1 (400).

Run:  python -m servers.http_slices
"""
from __future__ import annotations

import math
import struct
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from servers import _runtime

MATERIALS = {  # name -> RGB
    "void": (250, 250, 250),
    "plasma": (214, 96, 77),
    "core": (67, 147, 195),
    "shell": (120, 120, 120),
}


def png(width: int, height: int, rows: list[bytes]) -> bytes:
    """Encode RGB rows (3 bytes per pixel) as a PNG file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (None) per row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def material(x: float, y: float, z: float) -> str:
    """Which material is at the point (x, y, z) of the model (all in -1..1)?"""
    r = math.hypot(x, y)
    if (r - 0.55) ** 2 + z * z < 0.22 ** 2:
        return "plasma"
    if x * x + y * y + z * z < 0.2 ** 2:
        return "core"
    if 0.88 < r < 0.95 and abs(z) < 0.8:
        return "shell"
    return "void"


def slice_png(z: float, size: int) -> bytes:
    rows = []
    for j in range(size):
        y = 1 - 2 * (j + 0.5) / size
        row = bytearray()
        for i in range(size):
            x = 2 * (i + 0.5) / size - 1
            row += bytes(MATERIALS[material(x, y, z)])
        rows.append(bytes(row))
    return png(size, size, rows)


INDEX = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>model slices</title></head><body>
<h1>Slices of the model, drawn per request</h1>
{images}
</body></html>
"""


class SliceHandler(BaseHTTPRequestHandler):
    def send_body(self, status: int, body: bytes, content_type: str, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "public, max-age=3600" if cache else "no-store")
        self.end_headers()
        self.wfile.write(body)

    def fail(self, message: str) -> None:
        self.send_body(400, (message + "\n").encode(), "text/plain; charset=utf-8")

    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/":
            images = "\n".join(f'<img alt="z={z}" src="/slice.png?z={z}&size=160">'
                               for z in (-0.3, -0.15, 0.0, 0.15, 0.3))
            self.send_body(200, INDEX.format(images=images).encode(), "text/html; charset=utf-8")
            return
        if url.path != "/slice.png":
            self.send_body(404, b"not found\n", "text/plain; charset=utf-8")
            return
        query = parse_qs(url.query)
        try:
            z = float(query["z"][0])
            size = int(query.get("size", ["200"])[0])
        except (KeyError, ValueError):
            self.fail("usage: /slice.png?z=<-1..1>&size=<16..400>")
            return
        if not (-1.0 <= z <= 1.0 and math.isfinite(z)) or not (16 <= size <= 400):
            self.fail("z must be in -1..1 and size in 16..400")
            return
        self.send_body(200, slice_png(z, size), "image/png", cache=True)

    def log_message(self, format, *args):
        print(f"{self.client_address[0]} {format % args}", flush=True)


class Server(ThreadingHTTPServer):
    daemon_threads = True


def serve(args) -> None:
    with Server((args.host, args.port), SliceHandler) as httpd:
        _runtime.ready(httpd.server_address)
        httpd.serve_forever(poll_interval=0.1)


def main(argv: list[str] | None = None) -> None:
    _runtime.run(serve, __doc__, argv)


if __name__ == "__main__":
    main()
