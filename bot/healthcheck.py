"""The container's HEALTHCHECK: GET /healthz on the port `skim run` serves it on; exit 0 or 1.

Webhook mode serves it with the webhook (`WEBHOOK_LISTEN`), polling mode on `METRICS_LISTEN`,
and so does a worker (`--role worker`), which takes no webhook whatever the environment says.
Standard library only, and no settings file: the image is configured through its environment.

    python -m bot.healthcheck [--role all|intake|worker]
"""

from __future__ import annotations

import os
import sys
import urllib.request


def health_url(environ: dict[str, str], role: str = "all") -> str | None:
    listen = environ.get("WEBHOOK_LISTEN", "0.0.0.0:8080")
    if not environ.get("WEBHOOK_URL") or role == "worker":
        listen = environ.get("METRICS_LISTEN", "")
    if not listen:
        return None
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 (a wildcard address is reached on loopback)
        host = "127.0.0.1"
    return f"http://{host}:{port}/healthz"


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    role = arguments[1] if arguments[:1] == ["--role"] and len(arguments) > 1 else "all"
    url = health_url(dict(os.environ), role)
    if url is None:
        print("healthcheck: set METRICS_LISTEN (polling) to serve /healthz", file=sys.stderr)
        return 1
    try:
        with urllib.request.urlopen(url, timeout=4) as answer:  # noqa: S310 (our own loopback URL)
            return 0 if answer.status == 200 else 1
    except OSError as error:
        print(f"healthcheck: {url}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
