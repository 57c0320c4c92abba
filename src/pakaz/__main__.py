"""Run pakaz as `python -m pakaz`, and the `pakaz` console script."""

import signal
import sys


def _interrupt(signum: int, frame: object) -> None:
    # A terminal closing (SIGHUP) or a `kill` (SIGTERM) ends pakaz as Ctrl-C does: through the
    # same clean-up, so that no half-written cache or export is left behind.
    raise KeyboardInterrupt


def run() -> None:
    """Start pakaz; Ctrl-C, SIGTERM or SIGHUP, even while it is still importing, end quietly (exit 130)."""
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None and signal.getsignal(number) is signal.SIG_DFL:  # respect an inherited "ignore"
            signal.signal(number, _interrupt)
    try:
        from pakaz.cli import main
    except KeyboardInterrupt:
        sys.stderr.write("\nInterrupted.\n")
        sys.exit(130)
    main()


if __name__ == "__main__":
    run()
