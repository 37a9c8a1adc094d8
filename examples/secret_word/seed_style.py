from http.server import BaseHTTPRequestHandler
from http.server import HTTPServer
import os
import random
secret = os.environ.get('SECRET_WORD', random.choice(['spam', 'eggs', 'ham']))
found = False
class WebServer(BaseHTTPRequestHandler):
    """
    The lecture's ourwebserver.py, turned into the word game.
    """
    def do_GET(self):
        """
        Every path is a guess.
        """
        global found
        word = self.path[1:]
        if found:
            message = 'the secret word was already found'
        elif word == secret:
            found = True
            message = word + ' is right'
        else:
            message = word + ' is wrong'
        self.send_response(200)
        self.send_header('Content-type', 'text/html')
        self.end_headers()
        self.wfile.write(('<HTML><BODY><H1>' + message + '</H1></BODY></HTML>').encode())
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
