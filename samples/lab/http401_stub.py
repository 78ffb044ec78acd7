#!/usr/bin/env python3
"""krbflow lab: an HTTP server that answers every GET with 401 and one
WWW-Authenticate scheme, and checks no credentials (the lab's clients in
these scenarios never send any).

usage: http401_stub.py ADDRESS PORT SCHEME   (e.g. 10.88.0.2 80 Negotiate)
"""
import http.server
import sys

addr, port, scheme = sys.argv[1], int(sys.argv[2]), sys.argv[3]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("%s required\n" % scheme).encode()
        self.send_response(401)
        self.send_header("WWW-Authenticate", scheme)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.HTTPServer((addr, port), Handler).serve_forever()
