"""Layer 1 reference servers (raw sockets), each pitfall shown happening and fixed.

Servers: servers.echo_socket, servers.trickle_socket, servers.line_socket,
servers.prefix_socket -- all run as real subprocesses.
"""
from __future__ import annotations

import socket
import struct
import sys

import psutil
import pytest
from conftest import wait_until
from layer12_helpers import listening

from servers.notebook import ServerError, ask, connect, free_port, lan_address, running, start


def recv_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


# -- echo_socket ----------------------------------------------------------------
def test_echo_round_trip_bytes_not_str():
    with running("echo_socket") as server:
        assert ask(server.address, "héllo".encode()) == "héllo".encode()
        with connect(server.address) as sock:
            with pytest.raises(TypeError):
                sock.sendall("text")  # str is not bytes
        assert ask(server.address, bytes(range(256)) * 64) == bytes(range(256)) * 64
        out = server.wait_for("closed after 16384 bytes")
        assert "accepted 127.0.0.1:" in out


def test_echo_serves_one_client_at_a_time():
    with running("echo_socket") as server:
        first = connect(server.address, timeout=5)
        second = connect(server.address, timeout=0.3)  # connect succeeds: the backlog queues it
        with first, second:
            first.sendall(b"one")
            assert first.recv(10) == b"one"
            second.sendall(b"two")
            with pytest.raises(TimeoutError):
                second.recv(10)  # nobody reads it while the first client is served
            first.close()
            second.settimeout(5)
            assert second.recv(10) == b"two"


def _time_wait_on(port: int) -> bool:
    return any(c.status == psutil.CONN_TIME_WAIT and c.laddr.port == port
               for c in psutil.net_connections(kind="tcp"))


def _leave_time_wait(*args) -> int:
    """Run echo_socket, stop it while a client is connected; return its port (in TIME_WAIT).

    The port is outside the ephemeral range, so no other program's client
    connection can take it before the restart (see servers.notebook.free_port).
    """
    server = start("echo_socket", *args, port=free_port())
    port = server.port
    with connect(server.address) as client:
        client.sendall(b"hi")
        assert client.recv(10) == b"hi"
        assert server.stop() == 0  # the server closes first: its side will be in TIME_WAIT
        assert client.recv(10) == b""  # the server's FIN
    assert wait_until(lambda: _time_wait_on(port), 5)
    return port


def test_restart_without_reuseaddr_fails_while_time_wait_lingers():
    port = _leave_time_wait()
    with pytest.raises(ServerError) as info:
        start("echo_socket", port=port)
    assert "Address already in use" in info.value.output
    assert info.value.returncode == 1


def test_restart_with_reuseaddr_succeeds_despite_time_wait():
    port = _leave_time_wait("--reuseaddr")
    assert _time_wait_on(port)
    with running("echo_socket", "--reuseaddr", port=port) as server:
        assert server.port == port
        assert ask(server.address, b"back") == b"back"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux bind() rule")
def test_reuseaddr_on_the_new_server_only_is_too_late_on_linux():
    """A TIME_WAIT connection remembers whether its listener had SO_REUSEADDR."""
    port = _leave_time_wait()  # the old server did not set it
    with pytest.raises(ServerError) as info:
        start("echo_socket", "--reuseaddr", port=port)
    assert "Address already in use" in info.value.output


def test_no_time_wait_on_the_server_when_the_client_closes_first():
    with running("echo_socket", port=free_port()) as server:
        port = server.port
        assert ask(server.address, b"bye") == b"bye"
        server.wait_for("closed after 3 bytes")
    assert not _time_wait_on(port)
    with running("echo_socket", port=port) as again:  # no SO_REUSEADDR needed
        assert again.port == port


def test_a_second_listener_on_a_listening_port_fails_even_with_reuseaddr():
    with running("echo_socket", "--reuseaddr") as server:
        with pytest.raises(ServerError) as info:
            start("echo_socket", "--reuseaddr", port=server.port, key="second")
        assert "Address already in use" in info.value.output


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_free_port_is_free_and_below_the_ephemeral_range():
    port = free_port()
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        assert 20000 <= port < int(f.read().split()[0])
    with running("echo_socket", port=port) as server:
        assert server.port == port


def test_port_0_gives_distinct_free_ports():
    with running("echo_socket", key="a") as a, running("echo_socket", key="b") as b:
        assert a.port != b.port
        assert listening(a.port) and listening(b.port)


def test_bind_all_interfaces_versus_loopback_only():
    lan = lan_address()
    if lan is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    with running("echo_socket", host="") as everywhere:
        assert everywhere.host == "0.0.0.0"
        assert ask((lan, everywhere.port), b"lan") == b"lan"
    with running("echo_socket") as loopback:
        assert loopback.host == "127.0.0.1"
        with pytest.raises(ConnectionRefusedError):
            connect((lan, loopback.port), timeout=2)
        assert ask(loopback.address, b"lo") == b"lo"


# -- trickle_socket ---------------------------------------------------------------
def test_one_recv_is_not_one_message():
    with running("trickle_socket", "--message", "abcdefghijklmnop", "--chunk", "4",
                 "--delay", "0.2") as server:
        with connect(server.address) as sock:
            first = sock.recv(1024)
            rest = recv_all(sock)
        assert first == b"abcd"  # the pitfall: a single recv() got one piece
        assert first + rest == b"abcdefghijklmnop"  # the fix: loop until b''
        server.wait_for("in 4 pieces")


def test_decoding_pieces_breaks_utf8_decoding_the_whole_works():
    text = "héllo wörld ✓"
    with running("trickle_socket", "--message", text, "--chunk", "2", "--delay", "0.02") as server:
        with connect(server.address) as sock:
            pieces = []
            while piece := sock.recv(2):
                pieces.append(piece)
    with pytest.raises(UnicodeDecodeError):
        "".join(p.decode("utf-8") for p in pieces)
    assert b"".join(pieces).decode("utf-8") == text


# -- line_socket ------------------------------------------------------------------
def test_lines_split_across_sends_are_reassembled():
    with running("line_socket") as server:
        with connect(server.address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for piece in (b"hel", b"lo\nwor", b"ld\nsecond ", b"to last\nlast\n"):
                sock.sendall(piece)
            sock.shutdown(socket.SHUT_WR)
            assert recv_all(sock) == b"HELLO\nWORLD\nSECOND TO LAST\nLAST\n"
        server.wait_for("answered 4 lines")


def test_missing_newline_hangs_until_it_is_sent():
    with running("line_socket") as server:
        with connect(server.address, timeout=0.5) as sock:
            sock.sendall(b"no newline yet")
            with pytest.raises(TimeoutError):
                sock.recv(100)  # the pitfall: the server waits for the rest of the line
            sock.settimeout(5)
            sock.sendall(b"\n")  # the fix: terminate the line
            assert sock.recv(100) == b"NO NEWLINE YET\n"


def test_unterminated_last_line_is_not_answered():
    with running("line_socket") as server:
        assert ask(server.address, b"a\nb\nc") == b"A\nB\n"
        server.wait_for("unterminated line: b'c'")


def test_plain_close_with_unread_input_resets_the_connection():
    """The pitfall behind lingering_close(): the reply is lost to an RST."""
    with running("line_socket", "--max-line", "100", "--plain-close") as server:
        with pytest.raises(ConnectionError):  # reset (or a broken pipe, when sending)
            ask(server.address, b"x" * 5000)


def test_overlong_line_is_refused():
    with running("line_socket", "--max-line", "100") as server:
        assert ask(server.address, b"x" * 5000) == b"ERROR line too long\n"
        # after the refusal the server serves the next client
        assert ask(server.address, b"ok\n") == b"OK\n"


# -- prefix_socket ----------------------------------------------------------------
def _read_message(sock: socket.socket) -> bytes:
    header = b""
    while len(header) < 4:
        header += sock.recv(4 - len(header))
    (size,) = struct.unpack("!I", header)
    payload = b""
    while len(payload) < size:
        payload += sock.recv(size - len(payload))
    return payload


def test_length_prefixed_messages_round_trip():
    with running("prefix_socket") as server:
        with connect(server.address) as sock:
            for payload in (b"hello", b"", b"x" * 100_000):
                sock.sendall(struct.pack("!I", len(payload)) + payload)
                assert _read_message(sock) == payload[::-1]
        server.wait_for("answered 3 messages")


def test_header_sent_one_byte_at_a_time_still_works():
    with running("prefix_socket") as server:
        with connect(server.address) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for byte in struct.pack("!I", 3) + b"abc":
                sock.sendall(bytes([byte]))
            assert _read_message(sock) == b"cba"


def test_native_byte_order_is_the_wrong_size():
    with running("prefix_socket") as server:
        # the pitfall: "<I" (little-endian) makes 5 look like 83,886,080 to a "!I" reader
        assert struct.unpack("!I", struct.pack("<I", 5))[0] == 83_886_080
        assert ask(server.address, struct.pack("<I", 5) + b"hello") == b""
        server.wait_for("refusing a 83886080-byte message")
        # the fix: network byte order
        assert ask(server.address, struct.pack("!I", 5) + b"hello") == struct.pack("!I", 5) + b"olleh"


def test_a_peer_speaking_http_is_refused_not_trusted():
    with running("prefix_socket") as server:
        assert ask(server.address, b"GET / HTTP/1.0\r\n\r\n") == b""
        server.wait_for("refusing a 1195725856-byte message")
