"""The secret word web server (seed 002, exercise 3: "a simple web server to
guess a secret word. The word is the name typed in after localhost:8000/").

The spec is the numbered list in the "## The spec" cell of
solutions/secret_word/secret_word.ipynb; :data:`SPEC` holds it in short, and
every check names the points it verifies (``spec=``).  In short:

1. an HTTP/1.x server (``http.server``) on TCP port 8000 that reads each
   request whole, however it arrives (in several pieces), and goes on
   serving after a client that left without sending a request;
2. the secret is ``os.environ["SECRET_WORD"]`` when that is set (the grader
   sets it), else ``random.choice`` of a word list;
3. ``GET /WORD`` is a guess: the path after the first ``/``,
   percent-decoded as UTF-8 (``urllib.parse.unquote``, so ``+`` stays
   ``+``, and bytes that are not UTF-8, ``/%FF``, become U+FFFD: a wrong
   guess, not a crash), compared with the secret exactly (no case folding,
   no stripping);
4. the reply to a guess: a well-formed response (CRLF line ends, RFC 9112
   section 2.1) with status 200, ``Content-Type: text/html; charset=utf-8``,
   a ``Content-Length`` counting the body's bytes, a UTF-8 body holding
   exactly one of ``is wrong`` / ``is right`` / ``already found`` and (with
   the first two) the guess ``html.escape``-d; the server closes the
   connection after responding to an HTTP/1.0 request or one that says
   ``Connection: close`` (RFC 9112 section 9.6);
5. ``GET /favicon.ico`` is answered ``404`` (and nothing else) and changes
   nothing, before and after the word was found;
6. "found" is shared by all requests (every connection, thread, process).

How the checks stay fast and deterministic: every check waits on the event
that proves its point (a response, the server closing) with a deadline, never
on a fixed window.  :func:`split_request` sends the second piece of a request
only once the server has *read* the first (its socket's receive queue is
empty, :meth:`~graders.checking.harness.Client.unread_by_server`), so a server that
reads once has read exactly ``GET /ban`` whatever the load; only where that
queue cannot be seen does it wait :data:`EARLY_WAIT` seconds for an early
answer instead.

Sources: seed 002 (``ourwebserver.py``, "Exercises", 3); RFC 9110 sections
8.3 (Content-Type), 8.6 (Content-Length), 15.5.5 (404); RFC 9112 sections 2.1
(message format, CRLF), 3 (request line), 4 (status line), 9.3 and 9.6
(persistence, closing); RFC 3986 section 2.1 (percent-encoding).
"""
from __future__ import annotations

import html
import selectors

from graders.sandbox import watch
from graders.checking.checks import Assignment, Failure
from graders.checking.harness import crash_help, show
from graders.checking.http import Response, http_get, media_type, parse_response

PORT = 8000
PHRASES = ("is wrong", "is right", "already found")
WRONG, RIGHT, FOUND = PHRASES
EARLY_WAIT = 0.5  # seconds split_request waits for an early answer where it cannot see the server read
READ_WAIT = 5.0  # seconds split_request waits for the server to read the first piece
CLOSE_WAIT = 5.0  # seconds a server may take to close the connection after its response

SPEC = {
    1: "an HTTP server on TCP port 8000 that reads each whole request, even when it arrives in pieces",
    2: "the secret is $SECRET_WORD when set, else random.choice of a word list",
    3: "GET /WORD is a guess: the path after '/', percent-decoded as UTF-8, compared exactly",
    4: "the reply: well-formed HTTP (CRLF, closes after Connection: close / HTTP/1.0), 200, "
       "Content-Type text/html; charset=utf-8, Content-Length in bytes, a UTF-8 page with exactly one "
       "verdict and the guess HTML-escaped",
    5: "GET /favicon.ico is not a guess: 404, and it changes nothing",
    6: "'found' is shared by all requests: after a right guess every guess hears 'already found'",
}

ASSIGNMENT = Assignment("secret_word", title="The secret word web server",
                        answer_file="secret_word_server.py", port=PORT, spec=SPEC)
check = ASSIGNMENT.check


def secret(word: str) -> dict[str, str]:
    """The environment that fixes the secret word for a check."""
    return {"SECRET_WORD": word}


def verdicts(response: Response) -> list[str]:
    """The phrases of PHRASES the page contains (case-insensitive), in PHRASES order."""
    text = response.text.lower()
    return [phrase for phrase in PHRASES if phrase in text]


def excerpt(response: Response) -> str:
    return show(response.body, 300)


HELP_WORD = ("The word is the path without its first '/', percent-decoded: "
             "urllib.parse.unquote(self.path[1:]).")
HELP_SECRET = ("That guess is not the secret the grader set in the environment variable SECRET_WORD: "
               "SECRET = os.environ.get('SECRET_WORD') or random.choice(WORDS), read once when the server starts.")
HELP_STATE = ("Once someone has guessed the word, every later guess gets a page saying 'already found'. "
              "Keep 'found' in the server (a global, or an attribute of the server object), shared by "
              "every request: http.server makes a new handler object for every request, so self.found = "
              "True is forgotten, and a forking server's children each have their own copy of a global "
              "(share it with multiprocessing.Value, or use a threading server).")


def require_status(response: Response, target: str, status: int = 200) -> None:
    if response.status != status:
        raise Failure(f"GET {target} got status {response.status}, not {status}", at=response.who or None,
                      expected=f"HTTP/1.0 {status} (or HTTP/1.1 {status})",
                      actual=f"{response.status_line()}: {excerpt(response)}",
                      help="A guess always gets a page: self.send_response(200), whatever the verdict.")


def exact_pages(server):
    """Mark ``server``'s check as one whose point includes the page showing the guess (wrong_guess).

    Fair partial credit (issue 21): elsewhere the point is the verdict (the
    secret, the shared state, decoding...), so :func:`guess_page` does not
    require the guessed word on the page; wrong_guess and escapes_html judge it.
    """
    server.exact = True
    return server


def guess_page(server, name: str, target: str, phrase: str, *, word: str | None = None,
               why: str = "", help: str | None = None) -> Response:
    """GET ``target``: a 200 page containing the verdict ``phrase`` (and ``word``, escaped, in a check
    of the page itself: :func:`exact_pages`).

    Other verdicts on the same page are :func:`one_verdict`'s business, not
    this function's, so that a page saying two things is not blamed on the
    game's state.  ``help`` is the hint when the verdict is missing.
    """
    response = http_get(server, name, target)
    require_status(response, target)
    found = verdicts(response)
    if phrase not in found:
        raise Failure(f"the page for GET {target}{why} does not say {phrase!r}", at=name,
                      expected=f"a page containing {phrase!r}",
                      actual=(f"a page saying {' and '.join(map(repr, found))}: " if found
                              else "a page with none of 'is wrong', 'is right', 'already found': ")
                      + excerpt(response),
                      help=help or (HELP_STATE if phrase == FOUND else
                                    HELP_SECRET if phrase == WRONG and RIGHT in found else HELP_WORD))
    if word is not None and phrase != FOUND and server.exact:
        if html.escape(word).lower() not in response.text.lower():
            raise Failure(f"the page for GET {target} does not show the guessed word {word!r}", at=name,
                          expected=f"a page containing {html.escape(word)!r}", actual=excerpt(response),
                          help="Show the guess on the page, e.g. <p>apple is wrong.</p>, escaped with "
                               "html.escape(word).",
                          dependents_run=True)  # the verdict is right: the other checks judge their points
    return response


@check("starts and listens on a TCP port", spec=1)
def starts(run):
    run.start(env=secret("banana"))


@check("listens on port 8000, as the spec says", depends="starts", spec=1)
def uses_port(run):
    server = run.start(env=secret("banana"))
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"The page is at http://localhost:{PORT}/WORD: HTTPServer(('', {PORT}), ...).")


@check("answers a wrong guess (GET /apple) with a page saying 'apple is wrong'", depends="starts",
       spec=(3, 4))
def wrong_guess(run):
    """The page itself: status 200, the verdict and the guess shown.  A page that has the right verdict
    but does not show the word fails here only: the checks that depend on this one still run."""
    server = exact_pages(run.start(env=secret("banana")))
    guess_page(server, "A", "/apple", WRONG, word="apple", why=" (the secret is 'banana')")


@check("uses the secret from the environment variable SECRET_WORD (here 'Banana')", depends="wrong_guess",
       spec=(2, 3))
def right_guess(run):
    server = run.start(env=secret("Banana"))
    guess_page(server, "A", "/apple", WRONG, word="apple", why=" (the secret is 'Banana')")
    guess_page(server, "B", "/Banana", RIGHT, word="Banana", why=" (the secret is 'Banana')",
               help="When the environment variable SECRET_WORD is set, it is the secret, exactly as it is: "
                    "SECRET = os.environ.get('SECRET_WORD') or random.choice(WORDS).")


@check("once the word is found, every later guess, on any connection, gets 'already found'",
       depends="right_guess", spec=6)
def found_for_everyone(run):
    server = run.start(env=secret("banana"))
    guess_page(server, "A", "/banana", RIGHT, word="banana")
    for name, target in (("B", "/banana"), ("C", "/cherry")):
        guess_page(server, name, target, FOUND, why=" after client A had found the word")


@check("sends Content-Type: text/html; charset=utf-8", depends="wrong_guess", spec=4)
def content_type(run):
    server = run.start(env=secret("banana"))
    response = http_get(server, "A", "/apple")
    value = response.header("content-type")
    kind, params = media_type(value)
    if kind != "text/html" or params.get("charset", "").lower() != "utf-8":
        raise Failure("the page does not say it is HTML in UTF-8",
                      expected="Content-Type: text/html; charset=utf-8",
                      actual=f"Content-Type: {value}" if value is not None else "no Content-Type header",
                      help="self.send_header('Content-Type', 'text/html; charset=utf-8'): without the "
                           "charset a browser may show 'café' as 'cafÃ©'.")


@check("sends a Content-Length that counts the body's bytes (also for non-ASCII words)",
       depends="wrong_guess", hidden=True, spec=4)
def content_length(run):
    server = run.start(env=secret("banana"))
    for name, target in (("A", "/apple"), ("B", "/cr%C3%A8me%20br%C3%BBl%C3%A9e")):
        response = http_get(server, name, target)
        declared = response.content_length
        if response.header("content-length") is None:
            raise Failure(f"the page for GET {target} has no Content-Length header",
                          expected=f"Content-Length: {len(response.body)} (the body's bytes)",
                          actual="no Content-Length",
                          help="page = ...encode('utf-8'); self.send_header('Content-Length', str(len(page))).")
        if declared != len(response.body):
            raise Failure(f"the Content-Length of the page for GET {target} is not the body's length in bytes",
                          expected=f"Content-Length: {len(response.body)}",
                          actual=f"Content-Length: {response.header('content-length')}",
                          help="Count bytes, not characters: encode the page first, then send "
                               "len(page_bytes). 'crème brûlée' is 12 characters but 15 bytes in UTF-8.")


@check("decodes percent-encoded UTF-8 words (/c++%20caf%C3%A9 is 'c++ café')", depends="right_guess",
       spec=3, hidden=True)
def percent_decoding(run):
    server = run.start(env=secret("c++ café"))
    response = http_get(server, "A", "/c++%20caf%C3%A9")
    require_status(response, "/c++%20caf%C3%A9")
    if RIGHT not in verdicts(response):
        raise Failure("GET /c++%20caf%C3%A9 is the secret 'c++ café', but the page does not say 'is right'",
                      expected="a page saying 'c++ café is right'", actual=excerpt(response),
                      help="A browser percent-encodes what is typed: %20 is a space and %C3%A9 the two UTF-8 "
                           "bytes of é; a + in a path is a plus. Decode with urllib.parse.unquote(self.path[1:]) "
                           "(UTF-8 is its default; unquote_plus would turn + into a space).")


def favicon_404(server, name: str, when: str) -> None:
    response = http_get(server, name, "/favicon.ico")
    if response.status != 404:
        guessed = verdicts(response)
        raise Failure(f"GET /favicon.ico {when} was answered {response.status}"
                      + (" with a page saying " + " and ".join(map(repr, guessed)) if guessed else ""),
                      expected="404 Not Found (the browser asks for the site's icon; it is not a guess)",
                      actual=f"{response.status_line()}: {excerpt(response)}",
                      help="Handle the icon first, before looking at 'found' or the word: "
                           "if self.path == '/favicon.ico': self.send_error(404); return")
    declared = response.content_length
    if declared is not None and len(response.body) > declared:
        raise Failure(f"after its 404 for GET /favicon.ico {when}, your server sent more: "
                      f"{len(response.body) - declared} bytes beyond the Content-Length",
                      expected=f"the 404 page alone ({declared} bytes)",
                      actual="after the 404 page came " + show(response.body[declared:], 300),
                      help="send_error() does not end do_GET: return right after self.send_error(404), or the "
                           "guess page is written after the error page.")


@check("answers GET /favicon.ico with 404, before and after the word is found, and counts no guess",
       depends="right_guess", hidden=True, spec=5)
def favicon(run):
    server = run.start(env=secret("banana"))
    favicon_404(server, "A", "before the word was found")
    guess_page(server, "B", "/banana", RIGHT, word="banana", why=" after GET /favicon.ico")
    favicon_404(server, "C", "after the word was found")


@check("shows the guessed word HTML-escaped (/<b>&amp; as &lt;b&gt;&amp;amp;)", depends="wrong_guess",
       hidden=True, spec=4)
def escapes_html(run):
    server = run.start(env=secret("banana"))
    target = "/<b>&amp;"
    response = guess_page(server, "A", target, WRONG, why=" (the secret is 'banana')")
    text = response.text.lower()
    if "<b>&amp;" in text or "&lt;b&gt;&amp;amp;" not in text:
        raise Failure("the page does not show the guess <b>&amp; as text",
                      expected="&lt;b&gt;&amp;amp; in the page (html.escape('<b>&amp;'))",
                      actual=excerpt(response),
                      help="A guess is text typed by anyone: html.escape(word) before you put it in the "
                           "page. It escapes & as well as < and > (& first), or '&amp;' shows as '&'.")


@check("reads each request whole: after a client that left without a request, one that arrives in pieces",
       depends="right_guess", spec=1, hidden=True)
def split_request(run):
    server = run.start(env=secret("banana"))
    server.client("X").close()  # a browser's unused preconnection: connects, sends nothing, leaves
    try:
        client = server.client("A")
        first, rest = b"GET /ban", (b"ana HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: graders-http-check\r\n"
                                    b"Connection: close\r\n\r\n")
        client.send(first)
        early, read = wait_until_read(client)
        if early or client.peer_closed:
            raise Failure("your server answered (or hung up) before the request was complete",
                          expected=f"no answer until the request ends with an empty line; it had only {first!r}",
                          actual=show(early) if early else "the server closed the connection",
                          help=HELP_SPLIT)
        if not read:
            raise Failure(f"your server did not read client A's request within {READ_WAIT:g} s; before it, client X "
                          "had connected and closed without sending anything (as browsers do)",
                          expected="the server reads A's request at once",
                          actual=f"{client.unread_by_server()} bytes of A's request still unread",
                          help="recv() returning b'' means the client has closed the connection: stop reading, "
                               "close that socket and go back to accept(). A loop that waits for b'\\r\\n\\r\\n' "
                               "must also stop at b''.")
        client.send(rest)
        raw = client.receive_until_closed(timeout=CLOSE_WAIT)
        response = parse_response(raw, closed=client.peer_closed)
    except Failure:
        if server.sandbox.wait_exit(1.0) is not None:
            raise Failure(f"your server stopped (exit status {server.sandbox.exit_code}) after client X had "
                          "connected and closed without sending a request (as browsers do)",
                          expected="the server goes on serving the next clients",
                          actual="the server exited",
                          help="A client may leave without sending anything: recv() then returns b'' (and "
                               "http.server's handler gets an empty request line). Close that connection and "
                               "go on; do not index into an empty request.\n" + crash_help(server.output(settle=0.5))
                          ) from None
        raise
    require_status(response, "/banana")
    if RIGHT not in verdicts(response):
        said = verdicts(response)
        raise Failure("GET /banana (the secret) came in two pieces, 'GET /ban' then 'ana HTTP/1.1...', "
                      "and the page does not say 'is right'",
                      expected="a page saying 'banana is right'",
                      actual=(f"a page saying {' and '.join(map(repr, said))}: " if said else "") + excerpt(response),
                      help=HELP_SPLIT)


HELP_SPLIT = ("TCP delivers a stream, not messages: one recv() may return part of a request (here 'GET /ban'). "
              "Read until the empty line that ends the head (b'\\r\\n\\r\\n'), as http.server's "
              "rfile.readline() does, or use http.server.")


def wait_until_read(client) -> tuple[bytes, bool]:
    """Wait until the server has read all that ``client`` sent, or answered, or closed.

    The event is the server's receive queue emptying (Client.unread_by_server),
    within :data:`READ_WAIT` seconds (longer while the server is busy,
    :func:`graders.sandbox.watch.wait_for`); where that queue cannot be seen, a server
    gets :data:`EARLY_WAIT` seconds to answer too early.  Returns what the
    server sent meanwhile and whether it read everything.
    """
    if client.unread_by_server() is None:
        early = client.receive(1, timeout=EARLY_WAIT, patient=False)
        return early + (client.receive_until_closed(timeout=1.0) if early and not client.peer_closed else b""), True
    with selectors.DefaultSelector() as sel:
        sel.register(client.sock, selectors.EVENT_READ)
        answered = lambda: bool(sel.select(0))  # noqa: E731 - the server answered or closed
        if not watch.wait_for(lambda: answered() or client.unread_by_server() == 0, READ_WAIT, client.server,
                              interval=0.005, stuck=True):
            return b"", False
        if answered():
            return client.receive_until_closed(timeout=1.0), True
    return b"", True


@check("picks a secret itself when SECRET_WORD is not set", depends="starts", spec=2, hidden=True)
def random_secret(run):
    try:
        server = run.start()
    except Failure as failure:
        raise Failure("without SECRET_WORD in its environment, your server did not start: "
                      + failure.rationale,
                      expected="a server that picks its own secret (random.choice of your word list)",
                      actual=failure.rationale,
                      help="SECRET_WORD is only set by the grader: SECRET = os.environ.get('SECRET_WORD') or "
                           "random.choice(WORDS); os.environ['SECRET_WORD'] alone raises KeyError.\n"
                           + (failure.help or "")) from None
    guess_page(server, "A", "/graders-not-a-word", WRONG, word="graders-not-a-word",
               why=" (SECRET_WORD was not set)",
               help="Without SECRET_WORD the secret is random.choice(WORDS), and a guess that is not it "
                    "gets 'is wrong'.")


@check("compares the guess with the secret exactly (kiwi, 'Kiwi ' and ' Kiwi' are not Kiwi)",
       depends="right_guess", spec=3, hidden=True)
def exact_match(run):
    server = run.start(env=secret("Kiwi"))
    for name, target, word in (("A", "/kiwi", "kiwi"), ("B", "/Kiwi%20", "Kiwi "), ("C", "/%20Kiwi", " Kiwi")):
        response = http_get(server, name, target)
        require_status(response, target)
        if WRONG not in verdicts(response):
            raise Failure(f"the guess {word!r} (GET {target}) was not answered 'is wrong'; the secret is 'Kiwi'",
                          expected=f"a page saying {html.escape(word)} is wrong",
                          actual=excerpt(response),
                          help="Compare exactly: word == SECRET. No .lower(), no .strip(): 'Apple' is not "
                               "'apple', and ' apple' (with a space) is another word.")
    guess_page(server, "D", "/Kiwi", RIGHT, word="Kiwi", why=" (the secret is 'Kiwi')")


@check("sends the page as UTF-8 (the guess 'crème brûlée' shown as such)", depends="percent_decoding",
       spec=4, hidden=True)
def utf8_page(run):
    server = run.start(env=secret("banana"))
    target = "/cr%C3%A8me%20br%C3%BBl%C3%A9e"
    response = http_get(server, "A", target)
    require_status(response, target)
    try:
        text = response.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Failure(f"the page for GET {target} is not UTF-8 (byte {response.body[exc.start:exc.start + 1]!r} "
                      f"at offset {exc.start} is not valid UTF-8)",
                      expected="a page encoded as UTF-8, as its charset=utf-8 says",
                      actual=excerpt(response),
                      help="Encode the page with page.encode('utf-8') (or .encode()): latin-1 or cp1252 write "
                           "'è' as one byte that no UTF-8 reader understands.") from None
    if "crème brûlée" not in text:
        raise Failure(f"the page for GET {target} does not show the guessed word 'crème brûlée'",
                      expected="a page containing 'crème brûlée'", actual=excerpt(response),
                      help="Show the decoded guess (urllib.parse.unquote), encoded with the page as UTF-8.")


@check("answers a guess holding bytes that are not UTF-8 (/%FF) as a wrong guess", depends="utf8_page",
       spec=3, hidden=True)
def bad_bytes(run):
    server = run.start(env=secret("banana"))
    help_bytes = ("urllib.parse.unquote(self.path[1:]) never fails: bytes that are not UTF-8 become '\ufffd'. "
                  "Decoding with errors='strict' (or bytes.decode('utf-8')) raises UnicodeDecodeError, and the "
                  "client gets no page.")
    try:
        response = http_get(server, "A", "/%FF")
    except Failure as failure:
        raise Failure("GET /%FF (a byte that is not UTF-8) got no page: " + failure.rationale,
                      expected="200 and a page saying '\ufffd is wrong'", actual=failure.actual,
                      help=help_bytes) from None
    if response.status != 200 or WRONG not in verdicts(response):
        raise Failure("GET /%FF (a byte that is not UTF-8) was not answered as a wrong guess",
                      expected="200 and a page saying '\ufffd is wrong' (unquote replaces bad bytes with \ufffd)",
                      actual=f"{response.status_line()}: {excerpt(response)}",
                      help=help_bytes)


@check("each page says exactly one of 'is wrong', 'is right', 'already found'", depends="right_guess",
       spec=4, hidden=True)
def one_verdict(run):
    server = run.start(env=secret("banana"))
    for name, target, when in (("A", "/apple", "a wrong guess"), ("B", "/banana", "the right guess"),
                               ("C", "/apple", "a guess after the word was found")):
        response = http_get(server, name, target)
        found = verdicts(response)
        if len(found) > 1:
            raise Failure(f"the page for GET {target} ({when}) says {' and '.join(map(repr, found))}",
                          expected="exactly one of 'is wrong', 'is right', 'already found'",
                          actual=excerpt(response),
                          help="A page gives one verdict. Build the message in one if/elif/else, and keep the "
                               "other phrases out of the rest of the page (title, instructions).")


@check("answers HTTP/1.0 and HTTP/1.1 requests with CRLF line ends, then closes the connection",
       depends="wrong_guess", hidden=True, spec=4)
def http_framing(run):
    server = run.start(env=secret("banana"))
    requests = (("A", b"GET /apple HTTP/1.0\r\n\r\n", "an HTTP/1.0 request"),
                ("B", b"GET /apple HTTP/1.1\r\nHost: localhost:8000\r\nConnection: close\r\n\r\n",
                 "a request saying Connection: close"))
    for name, request, what in requests:
        client = server.client(name)
        client.send(request)
        raw = client.receive_until_closed(timeout=CLOSE_WAIT)
        head_end = raw.find(b"\r\n\r\n")
        if head_end < 0 and b"\n\n" in raw:
            raise Failure(f"the response to {what} ends its lines with \\n, not \\r\\n",
                          expected="the status line and every header line ending in \\r\\n, then \\r\\n",
                          actual=show(raw),
                          help="HTTP lines end with CRLF (RFC 9112 section 2.1): write '\\r\\n', or let "
                               "http.server's send_response/send_header/end_headers do it.")
        response = parse_response(raw, closed=client.peer_closed)
        if b"\n" in raw[:head_end].replace(b"\r\n", b""):
            raise Failure(f"some header lines of the response to {what} end with \\n, not \\r\\n",
                          expected="every line of the head ending in \\r\\n", actual=show(raw[:head_end + 4]),
                          help="HTTP lines end with CRLF (RFC 9112 section 2.1): write '\\r\\n'.")
        require_status(response, "/apple")
        if not client.peer_closed:
            raise Failure(f"after its response to {what}, your server kept the connection open "
                          f"for {CLOSE_WAIT:g} s",
                          expected="the server closes the connection after the response",
                          actual=f"{response.status_line()}, then the connection stayed open",
                          help="A client that sends HTTP/1.0, or Connection: close, waits for the server to "
                               "close (RFC 9112 section 9.6). http.server does it for you; if you set "
                               "protocol_version = 'HTTP/1.1', do not force close_connection = False.")


# -- exploration: generated scenarios checked against the spec's model (issue 21) -------------------

@check("stays right in generated scenarios: any words and spellings, requests in pieces, favicon, "
       "SECRET_WORD values, clients that hang up or reset", depends="starts", hidden=True,
       spec=(1, 2, 3, 4, 5, 6), timeout=180.0)
def explore(run):
    from graders.checking.explore import check_by_exploring
    from graders.assignments.scenarios.secret_word import EXPLORER  # with the model: not in a course's student view
    check_by_exploring(run, ASSIGNMENT, EXPLORER)
