"""ODK Collect's HTTP behaviour replayed request by request, a TLS-terminating reverse proxy, and
a `povcensus serve` started with extra options — for tests of the two tablet deployments.

`CollectClient` follows Collect's rules (ODK Collect's OkHttp client, OpenRosa 1.0):
- Basic credentials are registered only for `https` URLs: over http they are never sent, not
  even after a challenge; over https only after a `WWW-Authenticate: Basic` challenge, then
  pre-emptively to that host (Collect caches the authentication per host);
- it calls `<server URL>/formList`, then the absolute `downloadUrl` / `manifestUrl` and the
  manifest's media `downloadUrl`s exactly as the server wrote them, then `HEAD` and `POST`
  `<server URL>/submission`; every request carries `X-OpenRosa-Version: 1.0` and a `Date`.
Every request is logged (method, URL, status, whether credentials were sent) for assertions.

`fill_instance(xform, answers)` fills the downloaded form's primary instance template with an
instance's answers, keeping every element of the template — a fallback without Java; the
deployment tests fill with JavaRosa itself (tests/javarosa_fill.py).
"""

from __future__ import annotations

import copy
import http.client
import os
import socket
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import requests

COLLECT_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "User-Agent": "org.odk.collect.android/v2024.3.5 Dalvik/2.1.0",
    "Accept-Encoding": "gzip,deflate",
}
NS = {
    "x": "http://openrosa.org/xforms/xformsList",
    "m": "http://openrosa.org/xforms/xformsManifest",
    "r": "http://openrosa.org/http/response",
    "xf": "http://www.w3.org/2002/xforms",
    "h": "http://www.w3.org/1999/xhtml",
}
JR = "{http://openrosa.org/javarosa}"


class CollectClient:
    """One Collect project: a server URL and, optionally, a username and password."""

    def __init__(self, server_url: str, username: str = "", password: str = "", verify=True):
        self.server_url = server_url.rstrip("/")
        self.credentials = (username, password) if username else None
        self.session = requests.Session()
        self.session.headers.update(COLLECT_HEADERS)
        self.verify = verify  # per request: REQUESTS_CA_BUNDLE would override the session's
        self.authenticated_hosts: set[str] = set()
        self.log: list[tuple[str, str, int, bool]] = []

    def close(self) -> None:
        self.session.close()

    def request(self, method: str, url: str, **kwargs) -> requests.Response:
        parts = urlsplit(url)
        headers = {"Date": "Fri, 27 Nov 2026 10:00:00 GMT+07:00", **kwargs.pop("headers", {})}
        can_basic = parts.scheme == "https" and self.credentials is not None
        auth = self.credentials if can_basic and parts.netloc in self.authenticated_hosts else None
        answer = self.session.request(
            method,
            url,
            headers=headers,
            auth=auth,
            allow_redirects=False,
            timeout=30,
            verify=self.verify,
            **kwargs,
        )
        self.log.append((method, url, answer.status_code, auth is not None))
        challenge = answer.headers.get("WWW-Authenticate", "").lower()
        if answer.status_code == 401 and challenge.startswith("basic") and can_basic and not auth:
            answer = self.session.request(
                method,
                url,
                headers=headers,
                auth=self.credentials,
                allow_redirects=False,
                timeout=30,
                verify=self.verify,
                **kwargs,
            )
            self.log.append((method, url, answer.status_code, True))
            if answer.status_code != 401:
                self.authenticated_hosts.add(parts.netloc)
        return answer

    # --- Collect's sequence -----------------------------------------------------------------

    def form_list(self) -> list[dict[str, str]]:
        answer = self.request("GET", self.server_url + "/formList")
        assert answer.status_code == 200, (answer.status_code, answer.text)
        forms = []
        for xform in ElementTree.fromstring(answer.content).findall("x:xform", NS):
            forms.append({child.tag.split("}")[1]: (child.text or "") for child in xform})
        return forms

    def manifest(self, url: str) -> list[dict[str, str]]:
        answer = self.request("GET", url)
        assert answer.status_code == 200, (answer.status_code, answer.text)
        files = []
        for media in ElementTree.fromstring(answer.content).findall("m:mediaFile", NS):
            files.append({child.tag.split("}")[1]: (child.text or "") for child in media})
        return files

    def get(self, url: str) -> requests.Response:
        return self.request("GET", url)

    def submit(self, xml: bytes, *attachments) -> requests.Response:
        """HEAD then POST `<server URL>/submission`, as Collect's instance uploader does."""
        params = {"deviceID": "collect:test-device"}
        head = self.request("HEAD", self.server_url + "/submission", params=params)
        assert head.status_code == 204, head.status_code
        files = [("xml_submission_file", ("submission.xml", xml, "text/xml")), *attachments]
        return self.request("POST", self.server_url + "/submission", params=params, files=files)


# --- filling the served XForm -------------------------------------------------------------------


def primary_instance(xform: bytes) -> ElementTree.Element:
    """The first (primary) instance's root of an XForm: the template Collect fills."""
    root = ElementTree.fromstring(xform)
    model = root.find("h:head/xf:model", NS)
    instance = next(i for i in model.findall("xf:instance", NS) if "id" not in i.attrib)
    return next(iter(instance))


def fill_instance(xform: bytes, answers: bytes, extra: dict[str, str] | None = None) -> bytes:
    """The served form's instance template filled with `answers` (an instance of the same
    form, e.g. `household_to_instance(record)`): every template element is kept; repeats are
    copied from the repeat template; `extra` sets form-only leaves by name (`{"pick": "..."}`)."""
    template = primary_instance(xform)
    filled = _fill(template, ElementTree.fromstring(answers), extra or {})
    for key, value in template.attrib.items():
        filled.set(key, value)
    return (
        b"<?xml version='1.0' ?>"
        + ElementTree.tostring(filled, encoding="utf-8").split(b"?>", 1)[-1]
    )


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _fill(template: ElementTree.Element, source, extra: dict[str, str]) -> ElementTree.Element:
    out = ElementTree.Element(_local(template.tag))
    sources: dict[str, list] = {}
    if source is not None:
        for child in source:
            sources.setdefault(_local(child.tag), []).append(child)
    seen_repeat: set[str] = set()
    for child in template:
        name = _local(child.tag)
        if JR + "template" in child.attrib or name in seen_repeat:
            if name not in seen_repeat:  # a repeat: one copy per source instance
                seen_repeat.add(name)
                for item in sources.get(name, []):
                    out.append(_fill(child, item, extra))
            continue
        if len(child):
            out.append(_fill(child, (sources.get(name) or [None])[0], extra))
            continue
        leaf = ElementTree.SubElement(out, name)
        found = sources.get(name)
        leaf.text = extra.get(name, found[0].text if found else copy.copy(child.text))
    return out


# --- a TLS-terminating reverse proxy -------------------------------------------------------------


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) for localhost / 127.0.0.1, made with the openssl command."""
    cert, key = directory / "proxy.crt", directory / "proxy.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsProxy:
    """https://127.0.0.1:<port> → the upstream http server, as nginx would: X-Forwarded-Proto,
    X-Forwarded-Host and X-Forwarded-For are set; everything else is passed through."""

    def __init__(self, upstream: str, cert: Path, key: Path) -> None:
        self.upstream = urlsplit(upstream)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                headers["Host"] = proxy.upstream.netloc
                headers["X-Forwarded-Proto"] = "https"
                headers["X-Forwarded-Host"] = self.headers.get("Host", "")
                headers["X-Forwarded-For"] = self.client_address[0]
                upstream = http.client.HTTPConnection(proxy.upstream.netloc, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response_only(answer.status, answer.reason)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> TlsProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- `povcensus serve` with options --------------------------------------------------------------


class Served:
    """`povcensus serve <options>` on a free loopback port over an existing database."""

    def __init__(self, directory: Path, database: Path, *options: str, **env: str) -> None:
        full_env = {**os.environ, "POVCENSUS_INSTANCE_PATH": str(directory), **env}
        full_env.setdefault("POVCENSUS_SECRET_KEY", "test-secret")
        self.log = directory / "serve.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "povcensus", "serve", "--host", "127.0.0.1", "--port", "0",
             "--workers", "1", "--db", str(database), *options],
            stdout=subprocess.PIPE,
            stderr=self.log.open("ab"),
            env=full_env,
            cwd=directory,
        )  # fmt: skip
        line = self.process.stdout.readline().decode()
        if "serving on" not in line:
            self.process.kill()
            raise RuntimeError(f"server did not start: {line!r} {self.log.read_text()[-2000:]}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.port = int(self.url.rsplit(":", 1)[-1])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
