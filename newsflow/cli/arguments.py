"""What the commands' arguments must be, checked before any work starts: counts of at least 1,
port numbers, source names the registry knows."""

from __future__ import annotations

import argparse

from newsflow.settings import Settings
from newsflow.sources import Source, load_registry, named_sources


def positive_int(value: str) -> int:
    """An argparse type for counts and limits: 0 or a negative number would read as "nothing" or
    "everything" by accident, so it is refused where the option is parsed."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


def port_number(value: str) -> int:
    """An argparse type for a TCP port to listen on (1 to 65535)."""
    number = positive_int(value)
    if number > 65535:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {number}")
    return number


def registry_source(settings: Settings, name: str) -> Source:
    """A registry entry by name, disabled ones included (reading stored articles or a saved page
    needs no site); an unknown name is refused as everywhere (`named_sources`)."""
    return named_sources(load_registry(settings.sources_file), [name])[0]
