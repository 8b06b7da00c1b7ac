#!/usr/bin/env python3
"""A scripted cluster for the collect e2e test, on 127.0.0.1.

Usage: fake_cluster.py SCRIPT.json PORTFILE [EC2_UPSTREAM_URL]

Serves, from SCRIPT.json ({"pools": N, "steps": [{"agents": [...],
"fleet_target": W}, ...], "prices": [{"type", "az", "t", "price"}, ...],
"fleet": {"type", "weight", "az", "tag_key", "tag_value"}}):
  - the Mesos master: GET /redirect (200: this master leads),
    /master/slaves, /master/frameworks.  The timeline advances one step per
    N reads of /master/slaves (one read per pool per collector cycle); the
    last step stays.  An agent is {"id", "ip", "pool", "total": {cpus, mem,
    disk, gpus}, "used": {...}}.
  - EC2 DescribeSpotPriceHistory (POST /, form body): per market, the newest
    price at or before StartTime (the one in force, as AWS sends it) and
    every price in (StartTime, EndTime], newest first, 3 items per page with
    NextToken; InstanceType.N filters.  Any other EC2 action is passed to
    EC2_UPSTREAM_URL (moto_server) as it came.
  - With an upstream and a "fleet": a Spot Fleet request in moto (a VPC, a
    subnet in the fleet's zone, one launch specification tagged as the
    pool's), whose target follows the script: when the timeline moves to a
    step with another fleet_target, ModifySpotFleetRequest is sent before
    the /master/slaves answer (so the collector's cycle sees the step's
    fleet).  The fleet is made by GET /control/reset; its id is written to
    PORTFILE.fleet.
  - GET /control/reset: back to step 0 with a new fleet (a previous one
    cancelled, its machines terminated): call it before each collection.
  - GET /control/log: the steps served, one line per /master/slaves read.
Writes its port to PORTFILE once listening.
"""
import calendar
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock

SCRIPT = json.load(open(sys.argv[1]))
UPSTREAM = sys.argv[3] if len(sys.argv) > 3 else None
LOCK = Lock()
STATE = {"reads": 0, "log": [], "fleet": None, "target": None}
PAGE = 3


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def parse_iso(s):
    return calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))


def ec2(params):
    """One EC2 Query call to the upstream (moto checks no signature)."""
    body = urllib.parse.urlencode(dict(params, Version="2016-11-15")).encode()
    req = urllib.request.Request(UPSTREAM + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDE2E/20260105/us-west-2/ec2/"
                         "aws4_request, SignedHeaders=host, Signature=0"})
    with urllib.request.urlopen(req) as r:
        return r.read().decode()


def xml_value(text, tag):
    return re.search("<%s>([^<]*)</%s>" % (tag, tag), text).group(1)


def new_fleet():
    f = SCRIPT["fleet"]
    if STATE["fleet"]:
        ec2({"Action": "CancelSpotFleetRequests", "SpotFleetRequestId.1": STATE["fleet"],
             "TerminateInstances": "true"})
    if "subnet" not in STATE:
        vpc = xml_value(ec2({"Action": "CreateVpc", "CidrBlock": "10.9.0.0/16"}), "vpcId")
        STATE["subnet"] = xml_value(ec2({"Action": "CreateSubnet", "VpcId": vpc,
                                         "CidrBlock": "10.9.1.0/24",
                                         "AvailabilityZone": f["az"]}), "subnetId")
    target = SCRIPT["steps"][0]["fleet_target"]
    spec = "SpotFleetRequestConfig.LaunchSpecifications.1."
    STATE["fleet"] = xml_value(ec2({
        "Action": "RequestSpotFleet",
        "SpotFleetRequestConfig.IamFleetRole": "arn:aws:iam::123456789012:role/fleet",
        "SpotFleetRequestConfig.TargetCapacity": str(target),
        "SpotFleetRequestConfig.AllocationStrategy": "diversified",
        "SpotFleetRequestConfig.SpotPrice": "0.5",
        spec + "ImageId": "ami-12c6146b",
        spec + "InstanceType": f["type"],
        spec + "WeightedCapacity": str(f["weight"]),
        spec + "SubnetId": STATE["subnet"],
        spec + "TagSpecificationSet.1.ResourceType": "instance",
        spec + "TagSpecificationSet.1.Tag.1.Key": f["tag_key"],
        spec + "TagSpecificationSet.1.Tag.1.Value": f["tag_value"]}), "spotFleetRequestId")
    STATE["target"] = target
    with open(sys.argv[2] + ".fleet", "w") as out:
        out.write(STATE["fleet"] + "\n")


def follow_fleet(step):
    """The fleet's target of this step (under LOCK)."""
    target = SCRIPT["steps"][step].get("fleet_target")
    if STATE["fleet"] and target is not None and target != STATE["target"]:
        ec2({"Action": "ModifySpotFleetRequest", "SpotFleetRequestId": STATE["fleet"],
             "TargetCapacity": str(target)})
        STATE["target"] = target


def slaves_doc(step):
    out = []
    for a in SCRIPT["steps"][step]["agents"]:
        out.append({
            "id": a["id"], "pid": "slave(1)@%s:5051" % a["ip"], "hostname": a["id"],
            "active": True, "attributes": {"pool": a["pool"]},
            "resources": a["total"], "used_resources": a["used"],
        })
    return {"slaves": out}


def prices_answer(form):
    t0 = parse_iso(form["StartTime"][0])
    t1 = parse_iso(form["EndTime"][0])
    types = [v[0] for k, v in sorted(form.items()) if k.startswith("InstanceType.")]
    by_market = {}
    for p in SCRIPT["prices"]:
        if types and p["type"] not in types:
            continue
        by_market.setdefault((p["type"], p["az"]), []).append(p)
    items = []
    for market, ps in sorted(by_market.items()):
        before = [p for p in ps if p["t"] <= t0]
        if before:
            items.append(max(before, key=lambda p: p["t"]))
        items += [p for p in ps if t0 < p["t"] <= t1]
    items.sort(key=lambda p: -p["t"])
    start = int(form.get("NextToken", ["0"])[0])
    page = items[start:start + PAGE]
    token = str(start + PAGE) if start + PAGE < len(items) else ""
    body = "".join(
        "<item><instanceType>%s</instanceType><productDescription>Linux/UNIX (Amazon VPC)"
        "</productDescription><spotPrice>%s</spotPrice><timestamp>%s</timestamp>"
        "<availabilityZone>%s</availabilityZone></item>" % (p["type"], p["price"], iso(p["t"]),
                                                           p["az"]) for p in page)
    return ('<DescribeSpotPriceHistoryResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            "<requestId>fake</requestId><spotPriceHistorySet>%s</spotPriceHistorySet>"
            "<nextToken>%s</nextToken></DescribeSpotPriceHistoryResponse>" % (body, token))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, ctype="application/json", headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?")[0]
        if path in ("/redirect", "/master/redirect"):
            self.reply(200, "")
        elif path in ("/master/slaves", "/slaves"):
            with LOCK:
                step = min(STATE["reads"] // SCRIPT["pools"], len(SCRIPT["steps"]) - 1)
                STATE["reads"] += 1
                STATE["log"].append(step)
                follow_fleet(step)
            self.reply(200, json.dumps(slaves_doc(step)))
        elif path in ("/master/frameworks", "/frameworks"):
            self.reply(200, json.dumps({"frameworks": [], "completed_frameworks": []}))
        elif path == "/control/reset":
            with LOCK:
                STATE["reads"] = 0
                STATE["log"] = []
                if UPSTREAM and "fleet" in SCRIPT:
                    new_fleet()
            self.reply(200, "ok\n", "text/plain")
        elif path == "/control/log":
            with LOCK:
                text = "".join("%d\n" % s for s in STATE["log"])
            self.reply(200, text, "text/plain")
        else:
            self.reply(404, "{}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        form = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        if form.get("Action", [""])[0] == "DescribeSpotPriceHistory":
            self.reply(200, prices_answer(form), "text/xml")
            return
        if not UPSTREAM:
            self.reply(400, "<Response><Errors><Error><Code>Unsupported</Code>"
                       "<Message>no upstream</Message></Error></Errors></Response>", "text/xml")
            return
        hdrs = {k: v for k, v in self.headers.items()
                if k.lower() not in ("host", "content-length", "connection")}
        req = urllib.request.Request(UPSTREAM + self.path, data=body, headers=hdrs, method="POST")
        try:
            with urllib.request.urlopen(req) as r:
                self.reply(r.status, r.read(), r.headers.get("Content-Type", "text/xml"))
        except urllib.error.HTTPError as e:
            self.reply(e.code, e.read(), e.headers.get("Content-Type", "text/xml"))


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os  # noqa: E402
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
srv.serve_forever()
