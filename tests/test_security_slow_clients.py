"""Slow clients (issue 9, finding 5): 150 connections each trickling a request body do not
lock anyone out of the real server (`povcensus serve`, waitress)."""

from __future__ import annotations

import socket
import time

import requests

TRICKLERS = 150  # more than waitress's default connection limit (100)


def test_trickling_connections_do_not_lock_people_out(live_server):
    host, port = live_server.url.removeprefix("http://").split(":")
    sockets = []
    try:
        for _ in range(TRICKLERS):
            conn = socket.create_connection((host, int(port)), timeout=10)
            conn.sendall(
                b"POST /api/v1/submissions/batch HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
            )
            sockets.append(conn)
        for round_number in range(3):  # keep them trickling while we ask
            for conn in sockets:
                conn.sendall(b" ")
            started = time.monotonic()
            answer = requests.get(live_server.url + "/login", timeout=10)
            assert answer.status_code == 200, round_number
            assert time.monotonic() - started < 5
    finally:
        for conn in sockets:
            conn.close()
