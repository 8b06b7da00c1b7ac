#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for end-to-end tests of live mode.

Usage: fault_proxy.py UPSTREAM_URL PORT_FILE PLAN_FILE LOG_FILE

Listens on 127.0.0.1 at a free port (written to PORT_FILE once it listens)
and forwards every request to UPSTREAM_URL (moto_server), unless the plan
says to fail it.  PLAN_FILE is re-read before every request; each line is

    ACTION KIND COUNT [TAG]

ACTION is a Query API action (the request's Action= form field, e.g.
ModifySpotFleetRequest) or a DynamoDB target operation (GetItem), or * for
any request; KIND is throttle (HTTP 400 with the service's throttling code:
RequestLimitExceeded for EC2, Throttling for Auto Scaling,
ThrottlingException for DynamoDB), 5xx (HTTP 503), or slow:MS (answer
correctly after MS milliseconds); COUNT is how many matching requests get
the fault (the proxy counts per line text: a TAG makes a line new).  LOG_FILE
gets one line per request: "ACTION forwarded|KIND", and a second line
"ACTION slow:MS done" once a slow request's upstream answer came back (the
upstream has acted on it, even when the client gave up waiting).
"""
import http.server
import socketserver
import sys
import threading
import time
import urllib.parse
import urllib.request

upstream, port_file, plan_file, log_file = sys.argv[1:5]
used = {}
lock = threading.Lock()


def plan():
    out = []
    try:
        with open(plan_file) as f:
            for i, line in enumerate(f):
                parts = line.split()
                if len(parts) in (3, 4):
                    out.append((line.strip(), parts[0], parts[1], int(parts[2])))
    except FileNotFoundError:
        pass
    return out


def action_of(headers, body):
    target = headers.get("X-Amz-Target")
    if target:
        return target.split(".")[-1], "dynamodb"
    q = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    version = q.get("Version", [""])[0]
    return q.get("Action", ["?"])[0], ("autoscaling" if version == "2011-01-01" else "ec2")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        self.handle_any("POST")

    def do_GET(self):
        self.handle_any("GET")

    def handle_any(self, method):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        action, svc = action_of(self.headers, body)
        fault = None
        with lock:
            for i, act, kind, count in plan():
                if act in (action, "*") and used.get(i, 0) < count:
                    used[i] = used.get(i, 0) + 1
                    fault = kind
                    break
            with open(log_file, "a") as f:
                f.write("%s %s\n" % (action, fault or "forwarded"))
        if fault == "throttle":
            if svc == "dynamodb":
                self.answer(400, b'{"__type": "com.amazonaws.dynamodb.v20120810#'
                            b'ThrottlingException", "message": "Rate exceeded"}',
                            "application/x-amz-json-1.0")
            else:
                code = "Throttling" if svc == "autoscaling" else "RequestLimitExceeded"
                self.answer(400, ("<Response><Errors><Error><Code>%s</Code><Message>Rate "
                                  "exceeded</Message></Error></Errors><RequestID>fault"
                                  "</RequestID></Response>" % code).encode(), "text/xml")
            return
        if fault == "5xx":
            self.answer(503, b"<Response><Errors><Error><Code>ServiceUnavailable</Code>"
                        b"<Message>injected</Message></Error></Errors></Response>",
                        "text/xml")
            return
        if fault and fault.startswith("slow:"):
            time.sleep(int(fault[5:]) / 1000.0)
        req = urllib.request.Request(upstream + self.path, data=body if n else None,
                                     method=method)
        for k, v in self.headers.items():
            if k.lower() not in ("host", "content-length", "connection"):
                req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, data, ctype = r.status, r.read(), r.headers.get("Content-Type")
        except urllib.error.HTTPError as e:
            status, data, ctype = e.code, e.read(), e.headers.get("Content-Type")
        if fault:
            with lock:
                with open(log_file, "a") as f:
                    f.write("%s %s done\n" % (action, fault))
        try:
            self.answer(status, data, ctype)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the client gave up waiting (a timeout)

    def answer(self, status, data, ctype):
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(port_file + ".tmp", port_file)
srv.serve_forever()
