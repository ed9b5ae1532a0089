"""Build ``src/predeploy/data/prices.csv`` (cost data) from ../shared/calibration/prices.csv.

Every one of the 150 rental rows is transcribed into our format (per-GPU hourly prices, a
``region_class`` us/eu/apac/global, kind ``published-spec``, the row's own source and notes), with
the GPU labels mapped to the canonical names of ``data/gpus.yaml``. The shared file already uses
them, with one exception: it labels both V100 memory sizes ``V100`` and tells them apart in
``notes`` ("V100 16 GB" / "V100 32 GB (catalog V100-32GB)"); the 32 GB rows become ``V100-32GB``
(the SkyPilot catalog's own label), the rest stay ``V100`` (16 GB). Then rental quotes read from
the public SkyPilot catalog for accelerators the shared file has no row for
(``tools/catalog_quotes.yaml``: provider, file and commit per row), and on-prem amortized
estimates from ``tools/onprem_quotes.yaml`` (kind ``estimated``) for accelerators without any
rental quote.

Rerun: ``.venv/bin/python tools/build_prices.py [--shared ../shared]``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "src" / "predeploy" / "data" / "prices.csv"
ONPREM = REPO / "tools" / "onprem_quotes.yaml"
CATALOG = REPO / "tools" / "catalog_quotes.yaml"
COLUMNS = ("provider", "instance_type", "region", "region_class", "gpu", "gpu_count",
           "usd_per_gpu_hour_on_demand", "usd_per_gpu_hour_spot", "kind", "effective_date",
           "source", "url", "notes")
HOURS_PER_YEAR = 8760
EU_HINTS = ("eu-", "europe", "finland", "france", "norway", "sweden", "germany", "netherlands")
APAC_HINTS = ("ap-", "asia", "australia", "japan", "singapore", "india", "korea")
US_HINTS = ("us-", "usa", "eastus", "westus", "centralus", "canada")


def region_class(region: str) -> str:
    """us (North America incl. Canada), eu, apac, or global when unstated."""
    r = region.lower()
    if r in {"us", "ca"} or any(h in r for h in US_HINTS):
        return "us"
    if any(h in r for h in EU_HINTS):
        return "eu"
    if any(h in r for h in APAC_HINTS):
        return "apac"
    return "global"


def _url(source: str) -> str:
    for token in source.replace(",", " ").split():
        if token.startswith("http"):
            return token.rstrip(").")
    return ""


V100_32GB_NOTE = "V100 32 GB"  # how ../shared/calibration/prices.csv notes marks 32 GB V100 rows


def canonical_gpu(row: dict[str, str]) -> tuple[str, str]:
    """The ``gpus.yaml`` name of a shared row's GPU, and a note when the label was changed."""
    if row["gpu"] == "V100" and V100_32GB_NOTE in row["notes"]:
        note = "label V100 with a 32 GB note -> V100-32GB"
        if row.get("gpu_memory_gb") not in (None, "", "32"):
            note += (f" (the shared gpu_memory_gb column says {row['gpu_memory_gb']}, "
                     "contradicting the row's note and the catalog label; the label is kept)")
        return "V100-32GB", note
    return row["gpu"], ""


def rental_rows(shared: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    with (shared / "calibration" / "prices.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            gpu, relabel = canonical_gpu(r)
            notes = "; ".join(n for n in ("instance price / gpu_count", relabel, r["notes"]) if n)
            rows.append({
                "provider": r["provider"], "instance_type": r["instance_type"],
                "region": r["region"], "region_class": region_class(r["region"]),
                "gpu": gpu, "gpu_count": int(r["gpu_count"]),
                "usd_per_gpu_hour_on_demand": r["usd_per_gpu_hour_on_demand"],
                "usd_per_gpu_hour_spot": r["usd_per_gpu_hour_spot"],
                "kind": "published-spec", "effective_date": r["price_date"],
                "source": r["source"], "url": _url(r["source"]),
                "notes": notes,
            })
    return rows


def catalog_rows() -> list[dict[str, object]]:
    """Single-GPU rental rows read from the SkyPilot catalog (``tools/catalog_quotes.yaml``)."""
    rows: list[dict[str, object]] = []
    for q in yaml.safe_load(CATALOG.read_text())["quotes"]:
        count = q["gpu_count"]
        spot = q["usd_per_hour_spot"]
        rows.append({
            "provider": q["provider"], "instance_type": q["instance_type"],
            "region": q["region"], "region_class": region_class(q["region"]),
            "gpu": q["gpu"], "gpu_count": count,
            "usd_per_gpu_hour_on_demand": round(q["usd_per_hour_on_demand"] / count, 4),
            "usd_per_gpu_hour_spot": "" if spot is None else round(spot / count, 4),
            "kind": "published-spec", "effective_date": "",
            "source": f"skypilot-org/skypilot-catalog {q['file']} @{q['commit']}", "url": "",
            "notes": (f"instance price / gpu_count; {q['notes']}; catalog snapshot; "
                      "commit date not available"),
        })
    return rows


def onprem_rows() -> list[dict[str, object]]:
    spec = yaml.safe_load(ONPREM.read_text())
    a = spec["assumptions"]
    rows: list[dict[str, object]] = []
    for q in spec["quotes"]:
        capex = q["purchase_usd"] / (a["amortization_years"] * HOURS_PER_YEAR)
        power = q["tdp_w"] / 1000 * a["usd_per_kwh"]
        rows.append({
            "provider": "on-prem (amortized estimate)", "instance_type": "(per-GPU estimate)",
            "region": "on-prem", "region_class": "on-prem", "gpu": q["gpu"], "gpu_count": 1,
            "usd_per_gpu_hour_on_demand": round(capex + power, 4),
            "usd_per_gpu_hour_spot": "", "kind": "estimated",
            "effective_date": str(q["date"] or ""), "source": q["source"], "url": q["url"],
            "notes": (f"${q['purchase_usd']:,} / ({a['amortization_years']} y x 8760 h) = "
                      f"{capex:.4f} + {q['tdp_w']} W x ${a['usd_per_kwh']}/kWh = {power:.4f}; "
                      f"GPU only (no chassis, network, PUE, staff); electricity: "
                      f"{a['usd_per_kwh_source']}"),
        })
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args(argv)
    rows = rental_rows(args.shared) + catalog_rows() + onprem_rows()
    with OUTPUT.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} price rows to {OUTPUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
