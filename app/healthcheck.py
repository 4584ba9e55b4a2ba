"""Container health probe: exit 0 when ``GET http://127.0.0.1:$PORT/health`` answers 200.

Used by the image's HEALTHCHECK (``python -m app.healthcheck``); needs only the
standard library, so the image carries no curl or wget. Exit codes follow
Docker's HEALTHCHECK contract: 0 healthy, 1 unhealthy.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

from app.settings import HEALTH_PATH, SettingsError, load_settings

TIMEOUT_SECONDS = 2.0


def probe(port: int, path: str = HEALTH_PATH, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """Return (healthy, reason) for one GET of ``path`` on 127.0.0.1:``port``."""
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            status = int(resp.status)
    except urllib.error.HTTPError as exc:
        return False, f"{url} answered {exc.code}"
    except (OSError, ValueError) as exc:
        return False, f"{url} failed: {exc}"
    if status != 200:
        return False, f"{url} answered {status}"
    return True, f"{url} answered 200"


def main() -> int:
    try:
        port = load_settings().port
    except SettingsError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    healthy, reason = probe(port)
    print(("healthy: " if healthy else "unhealthy: ") + reason, file=sys.stdout if healthy else sys.stderr)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
