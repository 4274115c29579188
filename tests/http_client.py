"""A tiny browser without JavaScript over urllib: cookies, GET, urlencoded and multipart POST."""

import http.cookiejar
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

Fields = list[tuple[str, str]]
Files = list[tuple[str, str, bytes]]  # (field name, file name, body)
TypedFiles = list[tuple[str, str, str, bytes]]  # (field name, file name, Content-Type, body)
OCTETS = "application/octet-stream"


@dataclass
class Page:
    status: int
    url: str
    html: str
    headers: dict[str, str]
    body: bytes = b""


class NoJsBrowser:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> Page:
        return self._open(urllib.request.Request(self.base_url + path))

    def post_form(self, path: str, fields: Fields) -> Page:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return self._open(request)

    def post_multipart(self, path: str, fields: Fields, files: Files) -> Page:
        """POST multipart/form-data as a browser without JavaScript sends it."""
        return self.post_multipart_typed(
            path, fields, [(name, filename, OCTETS, data) for name, filename, data in files]
        )

    def post_multipart_typed(self, path: str, fields: Fields, files: TypedFiles) -> Page:
        """POST multipart/form-data with each file's Content-Type as given: byte for byte what
        the client chooses (file names go as raw UTF-8, as a browser sends them)."""
        boundary = "----nojs" + secrets.token_hex(12)
        parts: list[bytes] = []
        for name, value in fields:
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode("utf-8")
                + b"\r\n"
            )
        for name, filename, media_type, data in files:
            parts.append(
                (
                    f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                    f'filename="{filename}"\r\nContent-Type: {media_type}\r\n\r\n'
                ).encode()
                + data
                + b"\r\n"
            )
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.base_url + path,
            data=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Page:
        try:
            with self._opener.open(request, timeout=60) as response:
                body = response.read()
                return Page(
                    response.status,
                    response.url,
                    body.decode("utf-8", errors="replace"),
                    dict(response.headers),
                    body,
                )
        except urllib.error.HTTPError as error:
            body = error.read()
            return Page(
                error.code,
                error.url or "",
                body.decode("utf-8", errors="replace"),
                dict(error.headers),
                body,
            )
