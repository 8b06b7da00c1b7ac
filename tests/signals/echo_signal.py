#!/usr/bin/env python3
"""A well-behaved external signal process for tests (Clusterman's protocol).

Usage: echo_signal.py NAMESPACE NAME POOL [--log FILE] [--pid-file FILE]

Listens on the abstract Unix socket "\\0NAMESPACE-NAME-POOL-socket" and
serves one connection after another until it is killed (SIGTERM).

--log FILE       every message received is appended to FILE as one line,
                 byte for byte as received: first the connection's
                 {"parameters": {...}}, then each {"metrics": ...,
                 "timestamp": ...}.  A reconnection logs its parameters
                 again.  The line is written before the answer is sent.
--pid-file FILE  FILE gets this process's pid once the socket listens.

Answer rule, for each evaluation:
    {"Resources": {"cpus": C}} with
    C = parameters["cpus"]                  if the parameters have "cpus",
      = 2 * the last value of the first metric of the message
                                            if it has at least one sample,
      = null                                otherwise.
The ACK of the metrics and the answer go out in one send (the "same read"
case of the protocol).
"""
import argparse
import json
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import cmansig  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("namespace")
    ap.add_argument("name")
    ap.add_argument("pool")
    ap.add_argument("--log")
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    srv = cmansig.listen(args.namespace, args.name, args.pool)
    cmansig.write_pid(args.pid_file)
    while True:
        sock, _ = srv.accept()
        conn = cmansig.Conn(sock)
        try:
            hello, raw = conn.read_object()
            cmansig.log_line(args.log, raw)
            params = hello.get("parameters", {})
            while True:
                n = conn.read_length()
                conn.send(cmansig.ACK)
                raw = conn.read_exact(n)
                cmansig.log_line(args.log, raw)
                msg = json.loads(raw)
                if "cpus" in params:
                    cpus = params["cpus"]
                else:
                    cpus = None
                    metrics = msg.get("metrics", {})
                    if metrics:
                        first = metrics[next(iter(metrics))]
                        if first:
                            cpus = 2 * first[-1][1]
                conn.send(cmansig.ACK + cmansig.answer_bytes({"cpus": cpus}))
        except (EOFError, ConnectionError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    sys.exit(main())
