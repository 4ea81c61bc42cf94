"""``python -m weave.sandbox``: run the simulated systems in the foreground and print their URLs.

    python -m weave.sandbox                       # every system, a table of URLs and credentials
    python -m weave.sandbox --only crm --only erp --port crm=8001
    python -m weave.sandbox --format json         # one JSON line: {"systems": {...}, "env": {...}}

Stops on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

from weave.sandbox._webhooks import WebhookConfig
from weave.sandbox.cluster import SERVICES, SandboxCluster, _loop_factory, service_class


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m weave.sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=list(SERVICES), help="start only this system (repeat)")
    parser.add_argument("--port", action="append", default=[], metavar="NAME=PORT", help="pin a system's port")
    parser.add_argument("--webhook", action="append", default=[], metavar="NAME=URL",
                        help="send NAME's webhooks (crm, payments) to URL, signed with its default secret")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--bulk-records", type=int, default=None, help="records served by the bulk system")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    return parser.parse_args(argv)


async def _run(args: argparse.Namespace) -> None:
    ports = {}
    for item in args.port:
        name, _, port = item.partition("=")
        ports[name] = int(port)
    options: dict[str, dict[str, Any]] = {}
    if args.bulk_records is not None:
        options["bulk"] = {"records": args.bulk_records}
    for item in args.webhook:
        name, _, url = item.partition("=")
        scheme = service_class(name).webhook_scheme
        if scheme is None:
            raise SystemExit(f"{name} sends no webhooks")
        secret = service_class(name)().credentials()["webhook_secret"]
        options.setdefault(name, {})["webhook"] = WebhookConfig(url=url, secret=secret, scheme=scheme)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with SandboxCluster(args.only, seed=args.seed, options=options, ports=ports) as cluster:
        if args.format == "json":
            print(json.dumps({"systems": cluster.urls, "env": cluster.env()}), flush=True)
        else:
            print("Acme Industrial simulated systems (Ctrl-C to stop):")
            for name, url in cluster.urls.items():
                print(f"  {name:<11} {url:<24} {cluster.services[name].title}")
            print("\nEnvironment for specs:")
            for key, value in cluster.env().items():
                print(f"  {key}={value}")
            sys.stdout.flush()
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    args = _parse(argv)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        runner.run(_run(args))


if __name__ == "__main__":
    main()
