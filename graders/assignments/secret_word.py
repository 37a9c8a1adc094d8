"""The secret word web server (seed 002, exercise 3: "a simple web server to
guess a secret word. The word is the name typed in after localhost:8000/").

Spec, as the student notebook states it:

* an HTTP server (``http.server``) on TCP port 8000;
* when it starts it picks the secret word (``random.choice`` of a word list),
  or, when the environment variable ``SECRET_WORD`` is set, that word (the
  grader sets it to make its checks deterministic);
* ``GET /WORD`` is a guess: the word is the path after ``/``, percent-decoded
  as UTF-8 (``urllib.parse.unquote``: ``/caf%C3%A9`` is ``café``), compared
  with the secret exactly (case matters);
* the reply to a guess: status ``200 OK``, header ``Content-Type: text/html;
  charset=utf-8``, header ``Content-Length`` = the number of bytes of the body,
  and a UTF-8 HTML page that contains exactly one of the phrases ``is wrong``
  (nobody has found the word and this is not it), ``is right`` (the first
  right guess) or ``already found`` (every guess after the word was found),
  and, for ``is wrong`` / ``is right``, the guessed word, HTML-escaped
  (``html.escape``: ``<script>`` is shown as ``&lt;script&gt;``);
* ``GET /favicon.ico`` (browsers ask for it by themselves) is not a guess:
  answer ``404 Not Found`` (``self.send_error(404)``); ``GET /`` may show any
  page and is not graded;
* "found" is shared by all requests, and the server closes each connection
  after its response (``http.server`` does, for HTTP/1.0 and for requests
  with ``Connection: close``, which the grader sends).

Sources: seed 002 (``ourwebserver.py``, "Exercises", 3); RFC 9110 sections
8.3 (Content-Type), 8.6 (Content-Length), 15.5.5 (404); RFC 9112 section 4
(status line); RFC 3986 section 2.1 (percent-encoding).
"""
from __future__ import annotations

import html

from ..checks import Assignment, Failure
from ..harness import show
from ..http import Response, http_get, media_type

PORT = 8000
PHRASES = ("is wrong", "is right", "already found")
WRONG, RIGHT, FOUND = PHRASES

ASSIGNMENT = Assignment("secret_word", title="The secret word web server",
                        answer_file="secret_word_server.py", port=PORT)
check = ASSIGNMENT.check


def secret(word: str) -> dict[str, str]:
    """The environment that fixes the secret word for a check."""
    return {"SECRET_WORD": word}


def verdicts(response: Response) -> list[str]:
    """The phrases of PHRASES the page contains (case-insensitive)."""
    text = response.text.lower()
    return [phrase for phrase in PHRASES if phrase in text]


def excerpt(response: Response) -> str:
    return show(response.body, 300)


def guess_page(server, name: str, target: str, phrase: str, *, word: str | None = None,
               why: str = "") -> Response:
    """GET ``target``: a 200 page with exactly the verdict ``phrase`` (and ``word``, escaped)."""
    response = http_get(server, name, target)
    if response.status != 200:
        raise Failure(f"GET {target} got status {response.status}, not 200",
                      expected="HTTP/1.0 200 OK (or HTTP/1.1 200 OK)", actual=response.status_line(),
                      help="A guess always gets a page: self.send_response(200), whatever the verdict.")
    found = verdicts(response)
    if found != [phrase]:
        raise Failure(f"the page for GET {target}{why} does not say {phrase!r}",
                      expected=f"a page containing {phrase!r}"
                               + (" (and no other verdict)" if found else ""),
                      actual=(f"a page containing {' and '.join(map(repr, found))}: " if found
                              else "a page with none of 'is wrong', 'is right', 'already found': ")
                      + excerpt(response),
                      help=HELP_STATE if phrase == FOUND
                      else "The word is the path without its first '/', percent-decoded "
                           "(urllib.parse.unquote(self.path[1:])); compare it with the secret, which is "
                           "os.environ['SECRET_WORD'] when that is set.")
    if word is not None and phrase != FOUND:
        if html.escape(word).lower() not in response.text.lower():
            raise Failure(f"the page for GET {target} does not show the guessed word {word!r}",
                          expected=f"a page containing {html.escape(word)!r}", actual=excerpt(response),
                          help="Show the guess on the page, e.g. <p>apple is wrong.</p>, escaped with "
                               "html.escape(word).")
    return response


HELP_STATE = ("Once someone has guessed the word, every later guess gets a page saying 'already found'. "
              "Keep 'found' in the server (a global, or an attribute of the server object): http.server "
              "makes a new handler object for every request, so self.found = True is forgotten.")


@check("starts and listens on a TCP port")
def starts(run):
    run.start(env=secret("banana"))


@check("listens on port 8000, as the spec says", depends="starts")
def uses_port(run):
    server = run.start(env=secret("banana"))
    if server.port != PORT:
        raise Failure(f"your server listens on port {server.port}",
                      expected=f"port {PORT}", actual=f"port {server.port}",
                      help=f"The page is at http://localhost:{PORT}/WORD: HTTPServer(('', {PORT}), ...).")


@check("answers a wrong guess (GET /apple) with a page saying 'apple is wrong'", depends="starts")
def wrong_guess(run):
    server = run.start(env=secret("banana"))
    guess_page(server, "A", "/apple", WRONG, word="apple", why=" (the secret is 'banana')")


@check("answers the right guess with a page saying 'is right'", depends="wrong_guess")
def right_guess(run):
    server = run.start(env=secret("banana"))
    guess_page(server, "A", "/apple", WRONG, word="apple", why=" (the secret is 'banana')")
    guess_page(server, "B", "/banana", RIGHT, word="banana", why=" (the secret is 'banana')")


@check("once the word is found, every later guess gets 'already found'", depends="right_guess")
def found_for_everyone(run):
    server = run.start(env=secret("banana"))
    guess_page(server, "A", "/banana", RIGHT, word="banana")
    guess_page(server, "B", "/banana", FOUND, why=" after client A had found the word")
    guess_page(server, "C", "/cherry", FOUND, why=" after client A had found the word")


@check("sends Content-Type: text/html; charset=utf-8", depends="wrong_guess")
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
       depends="wrong_guess", hidden=True)
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


@check("decodes percent-encoded UTF-8 words (/caf%C3%A9 is 'café')", depends="wrong_guess", hidden=True)
def percent_decoding(run):
    server = run.start(env=secret("café"))
    guess_page(server, "A", "/caf%C3%A9", RIGHT, word="café",
               why=" (that is 'café', and the secret is 'café')")


@check("does not count the browser's request for /favicon.ico as a guess", depends="right_guess",
       hidden=True)
def favicon(run):
    server = run.start(env=secret("banana"))
    response = http_get(server, "A", "/favicon.ico")
    found = verdicts(response)
    if response.status == 200 and found or response.status >= 500:
        raise Failure("GET /favicon.ico was answered as a guess" if found else
                      f"GET /favicon.ico got status {response.status}",
                      expected="404 Not Found (the browser asks for the site's icon; it is not a guess)",
                      actual=f"{response.status_line()}: {excerpt(response)}",
                      help="if self.path == '/favicon.ico': self.send_error(404); return")
    guess_page(server, "B", "/banana", RIGHT, word="banana", why=" after GET /favicon.ico")


@check("shows the guessed word HTML-escaped (/<script> as &lt;script&gt;)", depends="wrong_guess",
       hidden=True)
def escapes_html(run):
    server = run.start(env=secret("banana"))
    response = guess_page(server, "A", "/<script>", WRONG, why=" (the secret is 'banana')")
    if "<script>" in response.text.lower() or "&lt;script&gt;" not in response.text.lower():
        raise Failure("the page shows the guess <script> as HTML, not as text",
                      expected="&lt;script&gt; in the page", actual=excerpt(response),
                      help="A guess is text typed by anyone: html.escape(word) before you put it in the "
                           "page, or the browser runs it.")
