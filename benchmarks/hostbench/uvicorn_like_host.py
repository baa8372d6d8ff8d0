"""Run a comparison app (the bare app, the minimal handler, scim2-server) on the same HTTP server the host uses:
uvicorn with uvloop, TLS, and the host's httptools protocol that writes each response in one piece
(`ecmahost.http.protocol`). uvicorn's command line only takes a protocol by name, hence this launcher; without it
the comparison servers would pay a TLS record and a `send()` more per response than the host, and the ratios
would compare servers as well as apps.

    python -m benchmarks.hostbench.uvicorn_like_host APP --port P --workers N --certfile C --keyfile K [--factory]
"""

from __future__ import annotations

import argparse

import uvicorn

from ecmahost.http.protocol import CoalescingHttpToolsProtocol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--certfile", required=True)
    parser.add_argument("--keyfile", required=True)
    parser.add_argument("--factory", action="store_true")
    args = parser.parse_args()
    uvicorn.run(
        args.app,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http=CoalescingHttpToolsProtocol,
        ssl_certfile=args.certfile,
        ssl_keyfile=args.keyfile,
        log_level="warning",
        access_log=False,
        server_header=False,
        factory=args.factory,
    )


if __name__ == "__main__":
    main()
