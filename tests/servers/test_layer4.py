"""Layer 4 reference servers (HTTP), tested with real clients.

Clients: stdlib (http.client, urllib), curl when installed, and the strict
HTTP/1.1 client h11.  Each pitfall of solutions/04_http is shown happening and
then fixed: the seed's 404 without a status line, Content-Length in
characters, keep-alive without Content-Length, seed 000's str body and leaky
HEAD, SimpleHTTPRequestHandler following symlinks out of its folder, POST
without Content-Length; plus CGI (where this Python still has it), WSGI, and
the per-request PNG.
"""
from __future__ import annotations

import http.client
import http.server
import io
import shutil
import socket
import struct
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
import zlib

import h11
import pytest
from conftest import wait_until
from layer12_helpers import REPO, python_env

from servers import _layers, http_ourwebserver
from servers.notebook import running

CURL = shutil.which("curl")
needs_curl = pytest.mark.skipif(CURL is None, reason="curl is not installed")


def raw_http(address, request: bytes, timeout: float = 5.0) -> bytes:
    with socket.create_connection(address, timeout=timeout) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def h11_requests(address, paths, timeout: float = 5.0):
    """GET each path on one kept-alive connection with h11; return [(status, headers, body)]."""
    conn = h11.Connection(h11.CLIENT)
    results = []
    with socket.create_connection(address, timeout=timeout) as sock:
        for path in paths:
            sock.sendall(conn.send(h11.Request(method="GET", target=path, headers=[("Host", "localhost")])))
            sock.sendall(conn.send(h11.EndOfMessage()))
            status, headers, body = None, None, b""
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    conn.receive_data(sock.recv(65536))
                elif isinstance(event, h11.Response):
                    status, headers = event.status_code, dict(event.headers)
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                    break
            results.append((status, headers, body))
            if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                break
            conn.start_next_cycle()
    return results


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CURL, "--silent", "--show-error", "--max-time", "5", *args],
                          capture_output=True, text=True, timeout=20)


# -- ourwebserver: the status line ----------------------------------------------------
def test_seed_404_has_no_status_line_and_strict_clients_reject_it():
    with running("http_ourwebserver", "--seed-404") as server:
        assert raw_http(server.address, b"GET /test HTTP/1.0\r\n\r\n") == b"/test not found"
        with pytest.raises(h11.RemoteProtocolError):
            h11_requests(server.address, ["/test"])
        connection = http.client.HTTPConnection(*server.address, timeout=5)
        try:
            connection.request("GET", "/test")
            with pytest.raises(http.client.BadStatusLine):
                connection.getresponse()
        finally:
            connection.close()
        if CURL:
            done = curl(f"http://127.0.0.1:{server.port}/test")
            assert done.returncode != 0 and "HTTP/0.9" in done.stderr


def test_fixed_404_is_accepted_by_strict_clients():
    with running("http_ourwebserver") as server:
        [(status, headers, body)] = h11_requests(server.address, ["/test"])
        assert status == 404 and body == b"/test not found\n"
        assert int(headers[b"content-length"]) == len(body)
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.port}/test", timeout=5)
        assert err.value.code == 404
        if CURL:
            done = curl("-i", f"http://127.0.0.1:{server.port}/test")
            assert done.returncode == 0 and done.stdout.startswith("HTTP/1.0 404 Not Found")


def test_home_page_and_dynamic_page():
    with running("http_ourwebserver") as server:
        page = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5).read()
        assert page == http_ourwebserver.dynhtml.encode("utf-8")
        hello = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/hello?name=%3Cb%3EAda",
                                       timeout=5).read().decode()
        assert "hello &lt;b&gt;Ada" in hello and "<b>" not in hello


# -- Content-Length: bytes, not characters ------------------------------------------------
def test_page_is_longer_in_bytes_than_in_characters():
    text = http_ourwebserver.dynhtml
    assert len(text.encode("utf-8")) > len(text)


@pytest.mark.parametrize("length", ["chars", "bytes"])
def test_content_length_in_characters_truncates_the_body(length):
    full = http_ourwebserver.dynhtml.encode("utf-8")
    with running("http_ourwebserver", "--length", length) as server:
        connection = http.client.HTTPConnection(*server.address, timeout=5)
        try:
            connection.request("GET", "/")
            body = connection.getresponse().read()
        finally:
            connection.close()
    if length == "chars":
        assert len(body) == len(http_ourwebserver.dynhtml) < len(full) and full.startswith(body)
    else:
        assert body == full


def test_content_length_in_characters_corrupts_the_next_keep_alive_response():
    with running("http_ourwebserver", "--protocol", "HTTP/1.1", "--length", "chars") as server:
        with pytest.raises(h11.RemoteProtocolError):
            h11_requests(server.address, ["/", "/"])
    with running("http_ourwebserver", "--protocol", "HTTP/1.1", "--length", "bytes") as server:
        results = h11_requests(server.address, ["/", "/"])
    assert [r[0] for r in results] == [200, 200]
    assert all(r[2] == http_ourwebserver.dynhtml.encode() for r in results)


# -- keep-alive -----------------------------------------------------------------------------
@pytest.mark.parametrize("protocol, connections", [("HTTP/1.0", 3), ("HTTP/1.1", 1)])
def test_keep_alive_needs_protocol_version_1_1(protocol, connections):
    with running("http_ourwebserver", "--protocol", protocol) as server:
        connection = http.client.HTTPConnection(*server.address, timeout=5)
        try:
            for _ in range(3):
                connection.request("GET", "/")
                assert connection.getresponse().read()
        finally:
            connection.close()
        assert wait_until(lambda: server.output().count('"GET / HTTP/1.1" 200') == 3, 5)
    ports = {line.split()[0] for line in server.output().splitlines() if '"GET / ' in line}
    assert len(ports) == connections


def test_keep_alive_without_content_length_never_ends():
    with running("http_ourwebserver", "--protocol", "HTTP/1.1", "--length", "none") as server:
        connection = http.client.HTTPConnection(*server.address, timeout=1)
        try:
            connection.request("GET", "/")
            response = connection.getresponse()
            assert response.status == 200
            with pytest.raises(TimeoutError):
                response.read()
        finally:
            connection.close()
    with running("http_ourwebserver", "--protocol", "HTTP/1.0", "--length", "none") as server:
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5).read()
        assert body == http_ourwebserver.dynhtml.encode()  # HTTP/1.0: the close ends the body


# -- seed 000's Hello handler --------------------------------------------------------------
def test_seed_hello_writes_str_and_sends_an_empty_200(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with running("http_hello", "--seed") as server:
        response = raw_http(server.address, b"GET / HTTP/1.0\r\n\r\n")
        assert response.startswith(b"HTTP/1.0 200 OK\r\n") and response.endswith(b"\r\n\r\n")
        server.wait_for("TypeError", timeout=5)


def test_seed_hello_head_reveals_files_of_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "private.txt").write_text("x" * 1234)
    monkeypatch.chdir(tmp_path)
    with running("http_hello", "--seed") as server:
        head = raw_http(server.address, b"HEAD /private.txt HTTP/1.0\r\n\r\n").decode()
    assert head.startswith("HTTP/1.0 200") and "Content-Length: 1234" in head
    with running("http_hello") as server:
        head = raw_http(server.address, b"HEAD /private.txt HTTP/1.0\r\n\r\n").decode()
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5).read()
    assert head.startswith("HTTP/1.0 501")
    assert body == b"Hello Bucky!"


def test_fixed_hello_is_valid_http_for_h11():
    with running("http_hello", "--name", "Ada") as server:
        [(status, headers, body)] = h11_requests(server.address, ["/"])
    assert status == 200 and body == b"Hello Ada!" and headers[b"content-length"] == b"10"


# -- SimpleHTTPRequestHandler ----------------------------------------------------------------
@pytest.fixture
def site(tmp_path):
    public = tmp_path / "public"
    public.mkdir()
    (public / "notes.txt").write_text("public notes\n")
    (tmp_path / "secret.txt").write_text("the password is swordfish\n")
    (public / "oops").symlink_to(tmp_path / "secret.txt")
    return public


def test_stdlib_file_server_follows_symlinks_out_of_its_folder(site):
    with running("http_files", "--directory", str(site), "--stdlib") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert urllib.request.urlopen(f"{base}/oops", timeout=5).read() == b"the password is swordfish\n"
        assert urllib.request.urlopen(f"{base}/notes.txt", timeout=5).read() == b"public notes\n"


def test_confined_file_server_refuses_symlinks_out_of_its_folder(site):
    with running("http_files", "--directory", str(site)) as server:
        base = f"http://127.0.0.1:{server.port}"
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{base}/oops", timeout=5)
        assert err.value.code == 404
        assert urllib.request.urlopen(f"{base}/notes.txt", timeout=5).read() == b"public notes\n"
        assert b"swordfish" not in raw_http(server.address, b"GET /../secret.txt HTTP/1.0\r\n\r\n")


def test_python_m_http_server_bound_to_loopback(site):
    with _layers.Command([sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
                          "--directory", str(site)]) as cmd:
        port = int(cmd.wait_for(r"port (\d+)").group(1))
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/notes.txt", timeout=5).read() == b"public notes\n"
        assert _layers.listening_ports(cmd.pid) == {port}
        import psutil
        addresses = {c.laddr.ip for c in psutil.net_connections("tcp")
                     if c.pid == cmd.pid and c.status == psutil.CONN_LISTEN}
        assert addresses == {"127.0.0.1"}
    assert cmd.proc.returncode is not None


# -- forms ----------------------------------------------------------------------------------
def test_get_and_post_forms_parse_with_parse_qs():
    with running("http_forms", "--secret", "python") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert b"<form" in urllib.request.urlopen(base + "/", timeout=5).read()
        query = urllib.parse.urlencode({"q": "café <au> lait"})
        page = urllib.request.urlopen(f"{base}/search?{query}", timeout=5).read().decode()
        assert "café &lt;au&gt; lait" in page
        right = urllib.request.urlopen(f"{base}/guess", data=b"word=python", timeout=5).read()
        wrong = urllib.request.urlopen(f"{base}/guess", data=b"word=java", timeout=5).read()
        assert b"python is right" in right and b"java is wrong" in wrong
        assert b"python is right" in urllib.request.urlopen(f"{base}/python", timeout=5).read()
        if CURL:
            assert "ruby is wrong" in curl("-d", "word=ruby", f"{base}/guess").stdout


def test_post_without_content_length_gets_411_and_huge_gets_413():
    with running("http_forms") as server:
        no_length = raw_http(server.address, b"POST /guess HTTP/1.1\r\nHost: x\r\n\r\nword=python")
        assert no_length.startswith(b"HTTP/1.1 411")
        huge = raw_http(server.address, b"POST /guess HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n")
        assert huge.startswith(b"HTTP/1.1 413")


def test_post_keep_alive_reads_exactly_content_length():
    with running("http_forms") as server:
        connection = http.client.HTTPConnection(*server.address, timeout=5)
        try:
            for word in ["python", "java"]:
                connection.request("POST", "/guess", body=f"word={word}",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
                assert f"{word} is".encode() in connection.getresponse().read()
        finally:
            connection.close()


# -- CGI and WSGI ---------------------------------------------------------------------------
HAS_CGI = hasattr(http.server, "CGIHTTPRequestHandler")


@pytest.mark.skipif(not HAS_CGI, reason="http.server.CGIHTTPRequestHandler was removed (3.15)")
def test_cgi_script_runs_in_a_new_process_per_request():
    with running("http_cgi") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert b"/cgi-bin/greet.py" in urllib.request.urlopen(base + "/", timeout=10).read()
        get = urllib.request.urlopen(f"{base}/cgi-bin/greet.py?name=Ada", timeout=10).read().decode()
        post = urllib.request.urlopen(f"{base}/cgi-bin/greet.py", data="name=Grüße".encode(),
                                      timeout=10).read().decode()
        assert "hello Ada" in get and "(GET)" in get
        assert "hello Grüße" in post and "(POST)" in post
        pids = {int(p.split("pid ")[1].split()[0]) for p in (get, post)}
        assert len(pids) == 2 and server.pid not in pids
        if CURL:
            assert curl("-i", f"{base}/cgi-bin/greet.py?name=x").stdout.startswith("HTTP/1.0 200 Script output follows")
    if sys.version_info >= (3, 13):
        assert "deprecated since Python 3.13" in server.output()


def test_cgi_module_is_not_used_and_importing_our_servers_raises_no_deprecation_warning():
    import pathlib

    mine = sorted(p.stem for p in (REPO / "servers").glob("*.py")
                  if p.stem.startswith(("fork_", "http_", "select_", "async_", "concurrency_"))
                  or p.stem == "_layers")
    assert len(mine) >= 14
    code = "import importlib\n" + "".join(f"importlib.import_module('servers.{m}')\n" for m in mine)
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code],
                          capture_output=True, text=True, cwd=REPO, env=python_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    for path in [*(REPO / "servers").glob("*.py"), *(REPO / "servers" / "cgi_site" / "cgi-bin").glob("*.py"),
                 REPO / "benchmarks" / "concurrency.py"]:
        text = pathlib.Path(path).read_text()
        for banned in ("import cgi\n", "import cgitb", "import asyncore", "import asynchat",
                       "from cgi ", "from asyncore"):
            assert banned not in text, (path, banned)


def test_wsgi_app_runs_without_a_server():
    from wsgiref.util import setup_testing_defaults

    from servers import http_wsgi

    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/greet", "CONTENT_LENGTH": "8",
               "wsgi.input": io.BytesIO(b"name=Ada")}
    setup_testing_defaults(environ)
    seen = {}
    body = b"".join(http_wsgi.app(environ, lambda status, headers: seen.update(status=status)))
    assert seen["status"] == "200 OK" and b"hello Ada (WSGI, POST)" in body


def test_wsgi_app_under_wsgiref_with_validator():
    with running("http_wsgi", "--validate") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert b"hello Grace" in urllib.request.urlopen(f"{base}/greet?name=Grace", timeout=5).read()
        assert b"hello Linus" in urllib.request.urlopen(f"{base}/greet", data=b"name=Linus", timeout=5).read()
        [(status, headers, body)] = h11_requests(server.address, ["/nowhere"])
        assert status == 404 and int(headers[b"content-length"]) == len(body)
        # one thread: let it finish logging before Ctrl-C, or the stop lands mid-request
        server.wait_for('"GET /nowhere HTTP/1.1" 404', timeout=5)
    assert "Traceback" not in server.output().split('"GET /nowhere')[0]


# -- PNG per request ------------------------------------------------------------------------
def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    length = struct.unpack(">I", data[8:12])[0]
    assert struct.unpack(">I", data[16 + length:20 + length])[0] == zlib.crc32(data[12:16 + length])
    return width, height


def test_slices_are_drawn_per_request():
    with running("http_slices") as server:
        base = f"http://127.0.0.1:{server.port}"
        images = {}
        for z in ("0.0", "0.3"):
            with urllib.request.urlopen(f"{base}/slice.png?z={z}&size=64", timeout=10) as response:
                assert response.headers["Content-Type"] == "image/png"
                images[z] = response.read()
                assert int(response.headers["Content-Length"]) == len(images[z])
        assert _png_size(images["0.0"]) == (64, 64) and images["0.0"] != images["0.3"]
        assert b'src="/slice.png?z=' in urllib.request.urlopen(base + "/", timeout=5).read()
        for bad in ("z=lots", "size=64", "z=2", "z=0&size=100000", "z=nan"):
            with pytest.raises(urllib.error.HTTPError) as err:
                urllib.request.urlopen(f"{base}/slice.png?{bad}", timeout=5)
            assert err.value.code == 400, bad


def test_png_writer_round_trips_pixels():
    from servers import http_slices

    data = http_slices.png(2, 1, [bytes([255, 0, 0, 0, 0, 255])])
    assert _png_size(data) == (2, 1)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    assert zlib.decompress(data[idat + 4:idat + 4 + length]) == b"\x00\xff\x00\x00\x00\x00\xff"


@pytest.mark.parametrize("escape", [True, False])
def test_http_forms_escapes_reflected_input_unless_told_not_to(escape):
    attack = "<script>alert('hi')</script>"
    options = [] if escape else ["--no-escape"]
    with running("http_forms", *options) as server:
        base = f"http://127.0.0.1:{server.port}"
        query = urllib.parse.urlencode({"q": attack})
        page = urllib.request.urlopen(f"{base}/search?{query}", timeout=5).read().decode()
        posted = urllib.request.urlopen(f"{base}/guess", data=urllib.parse.urlencode({"word": attack}).encode(),
                                        timeout=5).read().decode()
    for body in (page, posted):
        if escape:
            assert "<script>" not in body and "&lt;script&gt;alert(&#x27;hi&#x27;)&lt;/script&gt;" in body, body
        else:
            assert attack in body, body
