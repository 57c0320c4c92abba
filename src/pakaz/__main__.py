"""Run pakaz as `python -m pakaz`."""

from pakaz.cli import main

main()
