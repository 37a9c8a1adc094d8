#!/usr/bin/env python3
"""A CGI script (as in *Servers in Python*), written without the ``cgi`` module (removed in 3.13).

The web server runs this file once per request.  The request arrives in
environment variables (REQUEST_METHOD, QUERY_STRING, CONTENT_LENGTH, ...) and,
for a POST, on standard input; the response is whatever the script prints:
headers, an empty line, the body.  The original read the form with
``cgi.FieldStorage()``; ``urllib.parse.parse_qs`` does the same job.
"""
import html
import os
import sys
from urllib.parse import parse_qs

method = os.environ.get("REQUEST_METHOD", "GET")
if method == "POST":
    length = int(os.environ.get("CONTENT_LENGTH") or 0)
    data = sys.stdin.buffer.read(length).decode("utf-8", "replace")
else:
    data = os.environ.get("QUERY_STRING", "")
form = parse_qs(data)  # the original: form = cgi.FieldStorage(); form['name'].value
name = form.get("name", ["stranger"])[0]

body = (f"<!DOCTYPE html>\n<p>hello {html.escape(name)}, from CGI script pid {os.getpid()}"
        f" ({method})</p>\n").encode("utf-8")
out = sys.stdout.buffer
out.write(b"Content-Type: text/html; charset=utf-8\r\n")
out.write(f"Content-Length: {len(body)}\r\n".encode())
out.write(b"\r\n")  # *Servers in Python*: "print an empty line between HTTP headers and HTML section"
out.write(body)
out.flush()
