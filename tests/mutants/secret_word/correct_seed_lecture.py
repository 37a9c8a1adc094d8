"""The lecture's ourwebserver.py, grown into the game: dynhtml, WebServer, main() with Ctrl-C.

correct: seed lecture 33 (BaseHTTPRequestHandler, HTTPServer)
"""
from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer
from urllib.parse import unquote
import html
import os
import random

dynhtml = """
<HTML>
<HEAD><TITLE>Secret word</TITLE><META charset="utf-8"></HEAD>
<BODY> <CENTER>
<H1> %s </H1>
</CENTER> </BODY>
</HTML>"""

secret = os.environ.get('SECRET_WORD') or random.choice(['spam', 'eggs', 'ham'])
found = False


class WebServer(BaseHTTPRequestHandler):
    """
    Illustration to set up a web server.
    """
    def do_GET(self):
        """
        Defines what server must do when
        it receives a GET request.
        """
        global found
        if self.path == '/favicon.ico':
            self.send_error(404)
            return
        word = unquote(self.path[1:])
        if found:
            message = 'the secret word was already found'
        elif word == secret:
            found = True
            message = html.escape(word) + ' is right'
        else:
            message = html.escape(word) + ' is wrong'
        page = (dynhtml % message).encode()
        self.send_response(200)
        self.send_header('Content-type', 'text/html; charset=utf-8')
        self.send_header('Content-length', str(len(page)))
        self.end_headers()
        self.wfile.write(page)


def main():
    """
    a simple web server
    """
    try:
        ws = HTTPServer(('', 8000), WebServer)
        print('welcome to our web server')
        print('press ctrl c to stop server')
        ws.serve_forever()
    except KeyboardInterrupt:
        print(' ctrl c pressed, shutting down')
        ws.socket.close()


if __name__ == "__main__":
    main()
