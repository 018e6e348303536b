#!/usr/bin/env bash
# Produces every number of docs/model-eko-vs-ect.md, in the order the document gives them.
# Usage: scripts/flagship-document.sh [WORK_DIR]   (default /tmp/flagship-document)
# Expects `cargo build --release` to have run. The committed run is rebuilt in WORK_DIR/psa;
# compare it with outputs/eko-vs-ect (trdsim verify does so from the scenario alone).
set -euo pipefail
cd "$(dirname "$0")/.."
t=${TRDSIM:-./target/release/trdsim}
w=${1:-/tmp/flagship-document}
rm -rf "$w" && mkdir -p "$w"
echo "== base case (20,000 individuals)"
$t run scenarios/eko-vs-ect.yaml --out "$w/base" --quiet
cat "$w/base/icer.csv"
echo "== base case by cost category (discounted, per person)"
cat "$w/base/results.csv"
echo "== 5-year variant and lifetime scenario"
$t run scenarios/eko-vs-ect-5y.yaml --out "$w/five" --quiet && cat "$w/five/icer.csv"
$t run scenarios/analyses/lifetime.yaml --out "$w/lifetime" --quiet && cat "$w/lifetime/icer.csv"
echo "== cross-validation: the Degerlund Maldi mirror"
$t run scenarios/analyses/degerlund-mirror.yaml --out "$w/degerlund" --quiet && cat "$w/degerlund/icer.csv"
echo "== probabilistic analysis (the committed run)"
$t run scenarios/eko-vs-ect.yaml --draws 1000 --out "$w/psa" --quiet
cat "$w/psa/psa_summary.csv"
grep -E ',(20000|50000|80000)(\.0)?,' "$w/psa/ceac.csv" "$w/psa/evpi.csv"
echo "== EVPPI (on a copy of the run)"
cp -r "$w/psa" "$w/voi"
$t voi "$w/voi" --quiet
grep -E ',50000(\.0)?,' "$w/voi/evppi.csv" | grep '^societal'
echo "== EVSI"
$t evsi "$w/psa" --target w8_eko --mark 80 --out "$w/evsi-w8" --quiet
grep '^societal' "$w/evsi-w8/evsi.csv" | head -12
$t evsi "$w/psa" --target share_ect_inpatient --sizes 0,10,25,50,80,100,200,500,1000 --mark 80 --out "$w/evsi-share" --quiet
grep -E '^(societal|perspective)' "$w/evsi-share/evsi.csv"
echo "== scenario analyses"
$t compare scenarios/eko-vs-ect.yaml $(ls scenarios/analyses/*.yaml | grep -v -e lifetime -e degerlund) --out "$w/compare" --quiet
cat "$w/compare/"*.csv | head -80
echo "== thresholds"
$t threshold scenarios/eko-vs-ect.yaml --param share_ect_inpatient --range 0,1 --out "$w/th-share" --quiet
cat "$w/th-share/threshold.csv"
$t threshold scenarios/eko-vs-ect.yaml --param c_esketamine_week --range 0,3000 --perspective societal --out "$w/th-price" --quiet
cat "$w/th-price/threshold.csv"
echo "== the report for advisors: the PSA with its EVPPI, scenarios, EVSI and thresholds"
$t report "$w/voi" --compare "$w/compare" --evsi "$w/evsi-w8" --evsi "$w/evsi-share" \
    --threshold "$w/th-share" --threshold "$w/th-price"
