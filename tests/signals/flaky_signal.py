#!/usr/bin/env python3
"""A misbehaving external signal process for tests (Clusterman's protocol).

Usage: flaky_signal.py NAMESPACE NAME POOL [options]

Listens on "\\0NAMESPACE-NAME-POOL-socket" and serves one connection after
another.  Its answer is {"Resources": {"cpus": K}} where K counts the
answers this process has sent so far, this one included (1, 2, ...), so a
test can tell which attempt answered.  Options:

--answers N      answer N evaluations per connection, then close it; with
                 N = 0 every connection is closed as soon as the length of
                 the first evaluation has arrived (before its ACK)
--die-after K    exit once K answers have been sent in all
--hang           never answer: ACK the length and the metrics, then wait
--bad-ack        answer the length with 0x02 instead of the ACK 0x01
--garbage        answer with bytes that are not JSON
--binary         answer with bytes that are not UTF-8 (0xff 0xfe ...)
--stream         answer with '[' forever (until the client hangs up)
--split          send the ACK alone, then the answer in two pieces 50 ms
                 apart
--trailing       send a newline 20 ms after each answer
--naive          read the parameters with one recv(4096) and json.loads, as
                 a simple signal process might (fails if the first length
                 arrives glued to them)
--chatty         send the byte "x" 20 ms after each answer
--glued          with --chatty: send the "x" in the same send() as the answer
--log FILE       as echo_signal.py: every received message, one per line
--pid-file FILE  as echo_signal.py; with --trailing or --chatty, a line is
                 also appended to FILE.extra after each extra byte is sent,
                 so a test can wait for it instead of sleeping
"""
import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
import cmansig  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("namespace")
    ap.add_argument("name")
    ap.add_argument("pool")
    ap.add_argument("--answers", type=int, default=-1)
    ap.add_argument("--die-after", type=int, default=-1)
    ap.add_argument("--hang", action="store_true")
    ap.add_argument("--bad-ack", action="store_true")
    ap.add_argument("--garbage", action="store_true")
    ap.add_argument("--binary", action="store_true")
    ap.add_argument("--stream", action="store_true")
    ap.add_argument("--split", action="store_true")
    ap.add_argument("--trailing", action="store_true")
    ap.add_argument("--naive", action="store_true")
    ap.add_argument("--chatty", action="store_true")
    ap.add_argument("--glued", action="store_true")
    ap.add_argument("--log")
    ap.add_argument("--pid-file")
    args = ap.parse_args()

    srv = cmansig.listen(args.namespace, args.name, args.pool)
    cmansig.write_pid(args.pid_file)
    total = 0
    while True:
        sock, _ = srv.accept()
        conn = cmansig.Conn(sock)
        served = 0
        try:
            if args.naive:
                raw = sock.recv(4096)
                json.loads(raw)
            else:
                _, raw = conn.read_object()
            cmansig.log_line(args.log, raw)
            while args.answers < 0 or served < args.answers:
                n = conn.read_length()
                if args.bad_ack:
                    conn.send(b"\x02")
                    continue
                conn.send(cmansig.ACK)
                raw = conn.read_exact(n)
                cmansig.log_line(args.log, raw)
                json.loads(raw)
                if args.hang:
                    conn.send(cmansig.ACK)
                    while True:
                        time.sleep(3600)
                total += 1
                served += 1
                if args.stream:
                    conn.send(cmansig.ACK)
                    while True:
                        conn.send(b"[" * 65536)
                if args.garbage:
                    body = b"this is not JSON"
                elif args.binary:
                    body = b"\xff\xfe\xc3(not UTF-8)"
                else:
                    body = cmansig.answer_bytes({"cpus": total})
                if args.split:
                    conn.send(cmansig.ACK)
                    time.sleep(0.05)
                    conn.send(body[:5])
                    time.sleep(0.05)
                    conn.send(body[5:])
                elif args.chatty and args.glued:
                    conn.send(cmansig.ACK + body + b"x")
                else:
                    conn.send(cmansig.ACK + body)
                if args.trailing or (args.chatty and not args.glued):
                    time.sleep(0.02)
                    conn.send(b"\n" if args.trailing else b"x")
                if args.trailing or args.chatty:
                    if args.pid_file:
                        with open(args.pid_file + ".extra", "a") as f:
                            f.write("sent\n")
                if args.die_after >= 0 and total >= args.die_after:
                    conn.close()
                    os._exit(0)
            if args.answers == 0:
                conn.read_length()
        except (EOFError, ConnectionError):
            pass
        finally:
            conn.close()


if __name__ == "__main__":
    sys.exit(main())
