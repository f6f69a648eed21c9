"""Pin the bundled demo run: write its statistics and verdicts to tests/data/ for tests/test_pinned_run.py.

Run after a deliberate change of the results (a new p-value definition, new demo data), and say
why in the commit:

    kibs-spatial run --output /tmp/pin/output --maps-dir /tmp/pin/maps --quiet
    python scripts/pin_demo_run.py /tmp/pin/output
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

LOCAL = ["region_code", "ksic", "period", "lq", "lisa_i", "lisa_p", "lisa_q", "lisa_cl", "gi_z", "gi_p", "gi_q", "gi_bin",
         "promising", "presets_agree", "st_gi_z", "st_gi_bin", "ehsa_pattern", "lq_trend_z"]
MORAN = ["ksic", "period", "moran_i", "z_rand", "p_sim"]
TARGET = Path(__file__).resolve().parents[1] / "tests" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the output folder of `kibs-spatial run` on the bundled data")
    args = parser.parse_args()
    read = dict(dtype={"region_code": str, "ksic": str, "period": str}, encoding="utf-8-sig")
    local = pd.read_csv(args.output / "indicators_synthetic.csv", **read)[LOCAL]
    moran = pd.read_csv(args.output / "global_moran_synthetic.csv", **read)[MORAN]
    local.to_csv(TARGET / "pinned_demo_run.csv.gz", index=False, float_format="%.12g",
                 compression={"method": "gzip", "mtime": 0})
    moran.to_csv(TARGET / "pinned_demo_moran.csv", index=False, float_format="%.12g")
    print(f"pinned {len(local)} region x sector rows and {len(moran)} sectors in {TARGET}")


if __name__ == "__main__":
    main()
