"""The command line's exit codes, a contract that jobs and scripts rely on: add codes, never renumber."""

EXIT_OK = 0
EXIT_PROBLEMS = 1
"""The registry (or the input) has problems, each printed."""
EXIT_USAGE = 2
"""The command cannot run as asked: a bad argument, a missing extra, an unusable plugin."""
EXIT_BUSY = 3
"""predreg resolve: another run holds the registry's lock."""
EXIT_INTERNAL = 4
"""A bug of predreg's own: a code no other outcome has, so a job that accepts 1 still fails on a crash."""
EXIT_INTERRUPTED = 130
"""Ctrl-C, as shells report a SIGINT."""
