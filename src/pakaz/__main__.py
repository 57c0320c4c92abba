"""Run pakaz as `python -m pakaz`, and the `pakaz` console script."""

import sys


def run() -> None:
    """Start pakaz; Ctrl-C while it is still importing ends quietly too (exit 130)."""
    try:
        from pakaz.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
