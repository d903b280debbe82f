"""``python -m newsflow.demo_site [--host H] [--port P]``: run the demo site in the foreground."""

import argparse

from .server import serve


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the bundled demo news site on loopback.")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
