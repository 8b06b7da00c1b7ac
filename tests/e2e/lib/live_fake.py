#!/usr/bin/env python3
"""A Mesos master and a logging AWS proxy for the autoscale e2e tests, on 127.0.0.1.

Usage: live_fake.py PORTFILE UPSTREAM_URL LOGFILE POOL CPUS_PER_INSTANCE

- The Mesos master: GET /redirect (200: this master leads), /master/slaves
  (one agent of pool POOL per instance that is running in UPSTREAM, by its
  private IP, with CPUS_PER_INSTANCE cpus and nothing used: every machine
  has joined), /master/frameworks (none).  POST /api/v1 (maintenance) is
  logged and answered {}.
- Everything else is an AWS call: forwarded to UPSTREAM (moto_server) as it
  came, answered as UPSTREAM answered.
Every request is logged to LOGFILE as one JSON line {"method", "path",
"action" (the Query API's Action), "target" (X-Amz-Target), "mesos"
(the v1 call's type)}.  Writes its port to PORTFILE once listening.
"""
import json
import os
import xml.etree.ElementTree as ET
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

PORTFILE, UPSTREAM, LOGFILE, POOL, CPUS = sys.argv[1:6]
LOCK = Lock()
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDFAKE/20230101/us-east-1/ec2/aws4_request, "
        "SignedHeaders=host, Signature=0")


def log(entry):
    with LOCK, open(LOGFILE, "a") as f:
        f.write(json.dumps(entry) + "\n")


def running_instances():
    body = b"Action=DescribeInstances&Version=2016-11-15"
    req = urllib.request.Request(UPSTREAM + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH})
    root = ET.fromstring(urllib.request.urlopen(req, timeout=30).read())
    out = []
    for res in root.iter():
        if not res.tag.endswith("instancesSet"):
            continue
        for item in res:
            f = {c.tag.split("}")[-1]: c for c in item}
            st = f.get("instanceState")
            name = None
            if st is not None:
                for c in st:
                    if c.tag.endswith("name"):
                        name = c.text
            ip = f.get("privateIpAddress")
            if name == "running" and ip is not None and ip.text:
                out.append((f["instanceId"].text, ip.text))
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", headers=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        path = self.path.split("?")[0]
        if path in ("/redirect", "/master/redirect"):
            log({"method": "GET", "path": path})
            return self.reply(200, "")
        if path in ("/master/slaves", "/slaves"):
            log({"method": "GET", "path": path})
            agents = [{
                "id": "agent-" + iid, "pid": "slave(1)@%s:5051" % ip, "hostname": iid,
                "active": True, "attributes": {"pool": POOL},
                "resources": {"cpus": float(CPUS), "mem": 8192, "disk": 10000, "gpus": 0},
                "used_resources": {"cpus": 0, "mem": 0, "disk": 0, "gpus": 0},
            } for iid, ip in running_instances()]
            return self.reply(200, json.dumps({"slaves": agents}))
        if path in ("/master/frameworks", "/frameworks"):
            log({"method": "GET", "path": path})
            return self.reply(200, json.dumps({"frameworks": [], "completed_frameworks": []}))
        return self.forward("GET", b"")

    def do_POST(self):
        body = self.body()
        if self.path.split("?")[0] == "/api/v1":
            try:
                kind = json.loads(body or b"{}").get("type")
            except ValueError:
                kind = None
            log({"method": "POST", "path": "/api/v1", "mesos": kind})
            return self.reply(200, "{}")
        return self.forward("POST", body)

    def forward(self, method, body):
        form = urllib.parse.parse_qs(body.decode(errors="replace")) if body else {}
        log({"method": method, "path": self.path,
             "action": (form.get("Action") or [None])[0],
             "target": self.headers.get("X-Amz-Target")})
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "content-length", "expect", "connection")}
        req = urllib.request.Request(UPSTREAM + self.path, data=body if method == "POST" else None,
                                     headers=headers, method=method)
        try:
            resp = urllib.request.urlopen(req, timeout=60)
            status, data, rh = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, data, rh = e.code, e.read(), e.headers
        self.reply(status, data, rh.get("Content-Type", "text/xml"),
                   [(k, v) for k, v in rh.items() if k.lower().startswith("x-amz")])


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
server.serve_forever()
