"""The in-memory multipart/form-data reader used for OpenRosa submissions."""

from __future__ import annotations

import pytest
import requests

from server.multipart import MultipartError, parse_multipart


def encoded(files) -> tuple[str, bytes]:
    prepared = requests.Request("POST", "http://x/", files=files).prepare()
    return prepared.headers["Content-Type"], prepared.body


def test_reads_every_part_as_requests_encodes_it():
    content_type, body = encoded(
        [
            ("xml_submission_file", ("s.xml", b"<data>\r\n\r\n--x</data>", "text/xml")),
            ("photo.jpg", ("photo.jpg", bytes(range(256)), "image/jpeg")),
            ("*isIncomplete*", (None, "yes")),
        ]
    )
    parts = parse_multipart(content_type, body)
    assert [(p.name, p.filename, p.content_type) for p in parts] == [
        ("xml_submission_file", "s.xml", "text/xml"),
        ("photo.jpg", "photo.jpg", "image/jpeg"),
        ("*isIncomplete*", None, None),
    ]
    assert parts[0].data == b"<data>\r\n\r\n--x</data>"
    assert parts[1].data == bytes(range(256)) and parts[2].data == b"yes"


@pytest.mark.parametrize(
    ("content_type", "body", "reason"),
    [
        ("text/xml", b"<data/>", "multipart/form-data"),
        ("multipart/form-data", b"", "boundary"),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\nx",
            "truncated",
        ),
        (
            "multipart/form-data; boundary=b",
            b"--b\r\nX: y\r\n\r\nx\r\n--b--\r\n",
            "Content-Disposition",
        ),
    ],
)
def test_malformed_bodies_say_why(content_type, body, reason):
    with pytest.raises(MultipartError, match=reason):
        parse_multipart(content_type, body)
