from pathlib import Path

import pytest

from newsflow.sources import RegistryError, load_registry, select_sources
from spiders.addresses import is_private_host

ROOT = Path(__file__).resolve().parent.parent


def test_project_registry_enables_only_the_local_demo():
    registry = load_registry(ROOT / "sources.yaml")
    assert [s.name for s in select_sources(registry)] == ["demo"]
    assert len(registry) >= 5
    assert all(s.feeds and s.sitemaps for s in registry)


def test_naming_a_disabled_source_is_refused():
    registry = load_registry(ROOT / "sources.yaml")
    with pytest.raises(RegistryError, match="disabled"):
        select_sources(registry, ["iraqinews"])
    with pytest.raises(RegistryError, match="unknown source"):
        select_sources(registry, ["nope"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sources: [", "not valid YAML"),
        ("feeds: []", "top-level 'sources:' list"),
        ("sources:\n  - name: Bad Name\n    url: https://x.example/\n", "source Bad Name: name"),
        ("sources:\n  - name: a\n    url: ftp://x.example/\n", "url: Value error"),
        ("sources:\n  - name: a\n    url: http://127.0.0.1:9/\n", "local: true"),
        ("sources:\n  - name: a\n    url: https://x.example/\n    colour: red\n", "colour"),
        (
            "sources:\n  - name: a\n    url: https://x.example/\n    article_url_patterns: ['(']\n",
            "bad regular expression",
        ),
        (
            "sources:\n  - {name: a, url: 'https://x.example/'}\n"
            "  - {name: a, url: 'https://y.example/'}\n",
            "duplicate source names: a",
        ),
        (
            "sources:\n  - {name: a, url: 'https://x.example/', crawl: {download_delay: -1}}\n",
            "source a: crawl: .*download_delay: Input should be greater than or equal to 0",
        ),
        (
            "sources:\n  - {name: a, url: 'https://x.example/', crawl: {delay: 2}}\n",
            "source a: crawl: .*unknown setting delay",
        ),
        (
            "sources:\n  - name: a\n    url: https://x.example/\n"
            "    crawl: {min_delay_real_sources: 0}\n",
            "min_delay_real_sources is global",
        ),
    ],
)
def test_invalid_registries_get_clear_errors(tmp_path, text, message):
    path = tmp_path / "sources.yaml"
    path.write_text(text)
    with pytest.raises(RegistryError, match=message):
        load_registry(path)


def test_missing_registry_file(tmp_path):
    with pytest.raises(RegistryError, match="does not exist"):
        load_registry(tmp_path / "absent.yaml")


@pytest.mark.parametrize("host", ["100.64.0.1", "100.127.255.254", "224.0.0.251", "ff02::1"])
def test_carrier_grade_nat_and_multicast_need_local(tmp_path, host):
    """Not public either: a real source resolving there is refused like a private address."""
    assert is_private_host(host)
    path = tmp_path / "sources.yaml"
    literal = f"[{host}]" if ":" in host else host
    path.write_text(f"sources:\n  - name: a\n    url: http://{literal}/\n")
    with pytest.raises(RegistryError, match="local: true"):
        load_registry(path)
    assert not is_private_host("93.184.215.14")
