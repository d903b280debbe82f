"""Credited authors, people first, agencies and newsrooms kept, and the wire credit on its own."""

from __future__ import annotations

import pytest

from extraction.agencies import agency, dateline_agencies
from extraction.authors import clean_authors, site_name_keys


@pytest.mark.parametrize(
    ("bylines", "language", "expected"),
    [
        (["Von Anna Berger und Jonas Klein"], "de", ["Anna Berger", "Jonas Klein"]),
        (["Par Marie Dubois et Luc Martin"], "fr", ["Marie Dubois", "Luc Martin"]),
        (["Por Ana García y Pedro Ruiz"], "es", ["Ana García", "Pedro Ruiz"]),
        (["Av Kari Nordmann och Ola Hansen"], "sv", ["Kari Nordmann", "Ola Hansen"]),
        (["di Mario Rossi e Luca Bianchi"], "it", ["Mario Rossi", "Luca Bianchi"]),
        # Without the page's language only "and" and "&" split: "y" may be part of a name.
        (["José Ortega y Gasset"], None, ["José Ortega y Gasset"]),
        (["Di Maio"], "it", ["Di Maio"]),
        (["Autor: Elena Oberholzer (obe)"], "de", ["Elena Oberholzer"]),
        (["dpa"], "de", ["dpa"]),
        (["Jane Doe (AP)"], "en", ["Jane Doe", "AP"]),
        (["The Associated Press"], "en", ["The Associated Press"]),
        (["Redaktion hafenbote.de"], "de", ["Redaktion hafenbote.de"]),
        (["Scott Gilbertson", "Gear Team"], "en", ["Scott Gilbertson", "Gear Team"]),
        (["Editorial Team", "Staff"], "en", []),
        (["amw"], "de", []),
        (["emma-mackenzie", "Emma Mackenzie"], "en", ["Emma Mackenzie"]),
        (["Von BR24 Redaktion"], "de", ["BR24 Redaktion"]),
        (
            ["Povilas Kairys, Vilniaus universiteto istorijos fakulteto profesorius"],
            "lt",
            ["Povilas Kairys"],
        ),
    ],
)
def test_bylines_per_language(
    bylines: list[str], language: str | None, expected: list[str]
) -> None:
    keys = site_name_keys(["Hafenbote"], "https://www.hafenbote.example/news/1")
    assert clean_authors(bylines, keys, language) == expected


def test_people_come_first_and_the_site_only_alone() -> None:
    keys = site_name_keys(["Hafenbote"], "https://www.hafenbote.example/news/1")
    assert clean_authors(["dpa", "Anna Berger"], keys, "de") == ["Anna Berger", "dpa"]
    assert clean_authors(["Hafenbote", "Anna Berger"], keys, "de") == ["Anna Berger"]
    assert clean_authors(["Hafenbote"], keys, "de") == ["Hafenbote"]


@pytest.mark.parametrize(
    ("credit", "name"),
    [
        ("The Associated Press", "AP"),
        ("AFP Deutschland", "AFP"),
        ("Deutsche Presse-Agentur", "dpa"),
        ("Reuters staff", "Reuters"),
        ("Ani Sharma", None),
        ("Jane Doe", None),
    ],
)
def test_agency(credit: str, name: str | None) -> None:
    assert agency(credit) == name


def test_dateline_agencies() -> None:
    assert dateline_agencies("BERLIN (dpa/AFP) - Die Regierung hat ...") == ["dpa", "AFP"]
    assert dateline_agencies("The minister (right) said on Monday ...") == []
