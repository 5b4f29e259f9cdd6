"""Generate countries.jsonl and countries.csv: every ISO 3166-1 country as a ChittyID place record.

Sources of each column (data only, read from the installed packages):
  - name, alpha2, jurisdiction (alpha-3), numeric: PyPI `pycountry` 26.2.16, which ships the
    ISO 3166-1 table of Debian's iso-codes project.
  - region: the `Continent_7` column of `country_data.tsv` in PyPI `country-converter` 1.3.2,
    joined on the alpha-3 code and mapped to the ChittyID region digit:
    1 North America, 2 South America, 3 Europe, 4 Asia, 5 Africa, 6 Oceania, 7 Antarctica.
  - entityType: always "place".

Run it in a throwaway virtual environment:
    python3 -m venv /tmp/venv
    /tmp/venv/bin/pip install pycountry==26.2.16 country-converter==1.3.2
    /tmp/venv/bin/python examples/generate_countries.py
"""

import csv
import json
import pathlib
import sys

import country_converter
import pycountry

REGION_OF_CONTINENT = {
    "North America": 1,
    "South America": 2,
    "Europe": 3,
    "Asia": 4,
    "Africa": 5,
    "Oceania": 6,
    "Antarctica": 7,
}

COLUMNS = ["entityType", "jurisdiction", "region", "name", "alpha2", "numeric"]


def continents_by_alpha3():
    """Read alpha-3 code -> continent name from country-converter's data table."""
    table = pathlib.Path(country_converter.__file__).with_name("country_data.tsv")
    with table.open(encoding="utf-8", newline="") as handle:
        return {row["ISO3"]: row["Continent_7"] for row in csv.DictReader(handle, delimiter="\t")}


def records():
    """Build one place record per ISO 3166-1 country, in the order of pycountry's table (sorted by alpha-3 code)."""
    continents = continents_by_alpha3()
    missing = [country.alpha_3 for country in pycountry.countries if country.alpha_3 not in continents]
    if missing:
        sys.exit(f"no continent in country-converter for: {', '.join(missing)}")
    for country in pycountry.countries:
        yield {
            "entityType": "place",
            "jurisdiction": country.alpha_3,
            "region": REGION_OF_CONTINENT[continents[country.alpha_3]],
            "name": country.name,
            "alpha2": country.alpha_2,
            "numeric": country.numeric,
        }


def main():
    folder = pathlib.Path(__file__).resolve().parent
    rows = list(records())
    with (folder / "countries.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with (folder / "countries.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} countries", file=sys.stderr)


if __name__ == "__main__":
    main()
