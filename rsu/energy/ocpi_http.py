"""The ``ocpi`` source: pull one OCPI 2.2.1 Location over HTTP(S) every ``poll_s`` (httpx).

``GET {url}`` with ``Authorization: Token <credentials token>`` (the token read from
``token_file`` at every poll, so a rotated token is picked up without a restart) and the
``X-Request-ID`` / ``X-Correlation-ID`` headers OCPI 2.2.1 asks for. OCPI 2.2 and later send
the token Base64-encoded; many 2.1.1-era servers expect it as it is: ``token_encoding = "auto"``
(the default) tries Base64 first and, on a 401, the plain token once, then keeps what worked.

Each poll is bounded: ``timeout_s`` for the whole exchange (a server trickling bytes is cut
off at the deadline too), at most ``rsu.energy.ocpi.MAX_BYTES`` read, no redirects followed.
Every way it can fail is a ``SiteFailure`` with a stable reason:

| what | reason |
|---|---|
| connection refused, DNS, TLS | ``unreachable`` |
| no answer in time | ``timeout`` |
| 401 / 403 | ``unauthorized`` |
| other non-2xx | ``http_status`` |
| body over the bound | ``too_large`` |
| not JSON | ``bad_json`` |
| OCPI ``status_code`` not 1xxx | ``ocpi_status`` |
| not a Location (missing or wrong fields) | ``bad_shape`` |
| token file missing or empty | ``token_unreadable`` |
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from rsu.clock import Clock
from rsu.energy.config import SiteConfig
from rsu.energy.edge import PollingSource, Result
from rsu.energy.ocpi import MAX_BYTES, OcpiError, parse_location
from rsu.queues import BoundedQueue

MAX_TOKEN = 4096


def read_token(path: Path) -> str | None:
    """The credentials token in ``path`` (stripped), or None when it is missing or empty."""
    try:
        text = path.read_text(encoding="utf-8")[:MAX_TOKEN].strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text or None


class OcpiSource(PollingSource):
    """One site's OCPI Location, polled."""

    name = "ocpi"

    def __init__(
        self,
        site: SiteConfig,
        clock: Clock,
        queue: BoundedQueue[Result],
        resolve: Callable[[str], Path] = Path,
    ) -> None:
        cfg = site.ocpi
        assert cfg is not None
        super().__init__(site.id, cfg.poll_s, clock, queue)
        self.config = cfg
        self.token_path = resolve(cfg.token_file)
        self._encoding = "base64" if cfg.token_encoding == "auto" else cfg.token_encoding
        self._client = httpx.Client(
            timeout=httpx.Timeout(cfg.timeout_s), follow_redirects=False, trust_env=False
        )

    def close(self) -> None:
        self._client.close()

    def read(self) -> Result:
        token = read_token(self.token_path)
        if token is None:
            return self.failure("token_unreadable", f"cannot read a token from {self.token_path}")
        result = self._get(token, self._encoding)
        if (
            self.config.token_encoding == "auto"
            and isinstance(result, tuple)
            and result[0] == "unauthorized"
        ):
            other = "plain" if self._encoding == "base64" else "base64"
            again = self._get(token, other)
            if not isinstance(again, tuple):
                self._encoding = other
            result = again
        if isinstance(result, tuple):
            return self.failure(*result)
        try:
            evses, operator = parse_location(result)
        except OcpiError as err:
            return self.failure(err.reason, str(err))
        return self.reading(evses, operator)

    def _get(self, token: str, encoding: str) -> bytes | tuple[str, str]:
        """The body of a 2xx answer, or (reason, detail)."""
        value = base64.b64encode(token.encode()).decode() if encoding == "base64" else token
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": f"Token {value}",
            "Accept": "application/json",
            "X-Request-ID": request_id,
            "X-Correlation-ID": request_id,
        }
        deadline = time.monotonic() + self.config.timeout_s
        try:
            with self._client.stream("GET", self.config.url, headers=headers) as answer:
                if answer.status_code in (401, 403):
                    return "unauthorized", f"HTTP {answer.status_code} (token {encoding})"
                if not 200 <= answer.status_code < 300:
                    return "http_status", f"HTTP {answer.status_code}"
                return self._body(answer, deadline)
        except httpx.TimeoutException as err:
            return "timeout", f"no answer in {self.config.timeout_s} s ({type(err).__name__})"
        except (httpx.ConnectError, httpx.RemoteProtocolError) as err:
            return "unreachable", str(err)[:200] or type(err).__name__
        except httpx.HTTPError as err:
            return "unreachable", f"{type(err).__name__}: {err}"[:200]

    def _body(self, answer: httpx.Response, deadline: float) -> bytes | tuple[str, str]:
        """At most ``MAX_BYTES`` of the body, all of it before ``deadline``."""
        body = bytearray()
        for chunk in answer.iter_bytes():
            body += chunk
            if len(body) > MAX_BYTES:
                return "too_large", f"more than {MAX_BYTES} bytes"
            if time.monotonic() > deadline:
                return "timeout", f"body not complete in {self.config.timeout_s} s"
        return bytes(body)

    def health(self) -> dict[str, object]:
        return {**super().health(), "url": self.config.url, "token_encoding": self._encoding}
