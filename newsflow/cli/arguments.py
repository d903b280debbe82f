"""What the commands' arguments must be, checked before any work starts: source names the
registry knows."""

from __future__ import annotations

from newsflow.settings import Settings
from newsflow.sources import Source, load_registry, named_sources


def registry_source(settings: Settings, name: str) -> Source:
    """A registry entry by name, disabled ones included (reading stored articles or a saved page
    needs no site); an unknown name is refused as everywhere (`named_sources`)."""
    return named_sources(load_registry(settings.sources_file), [name])[0]
