#!/usr/bin/env bash
# Compare `hindsight score --format json` with pandas + scikit-learn, polars and
# a bare CSV parse (the csv crate, no checks) on one synthetic ledger.
#
#   bench/compare.sh [--forecasts N] [--forecasters K] [--questions Q] [--seed S]
#                    [--repeat R] [--work DIR] [--no-python]
#
# Defaults: 1,000,000 forecasts, 500 forecasters, N/20 questions, seed 1,
# 1 run each, work folder ${TMPDIR:-/tmp}/hindsight-bench. The ledger is made
# once per configuration by `hindsight synth` and kept in the work folder.
#
# Each tool runs under /usr/bin/time -v; the table shows the median wall time
# of R runs, CPU time (user + sys) and peak RSS of that run, and the ratios to
# hindsight. Two hindsight rows: `hindsight` is `score --format json` as
# shipped (with the seeded resampling statistics corp_test_p and brier_ci,
# 1,000 resamples each), `hindsight_r0` is the same with `--resamples 0`: the
# keys the Python scripts compute. The Python scorers' JSON is checked
# against hindsight's (bench/check_agree.py, 1e-9), and the issue's targets
# are checked at the end. Needs GNU time (Debian package `time`) for CPU and
# memory (without it: wall times only) and, for the Python columns,
# `pip install pandas polars scikit-learn scipy`. CI runs a tiny smoke version
# (`--forecasts 20000 --forecasters 20 --no-python`).
set -euo pipefail

forecasts=1000000
forecasters=500
questions=
seed=1
repeat=1
work="${TMPDIR:-/tmp}/hindsight-bench"
python=1
while [ $# -gt 0 ]; do
    case "$1" in
        --forecasts) forecasts=$2; shift 2 ;;
        --forecasters) forecasters=$2; shift 2 ;;
        --questions) questions=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --repeat) repeat=$2; shift 2 ;;
        --work) work=$2; shift 2 ;;
        --no-python) python=0; shift ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
questions=${questions:-$(( forecasts / 20 > 0 ? forecasts / 20 : 1 ))}

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$repo/target}"
gnu_time=1
if [ ! -x /usr/bin/time ]; then
    echo "compare.sh: no GNU time (apt-get install time): wall times only, no CPU or memory" >&2
    gnu_time=0
fi
if [ "$python" = 1 ] && ! python3 -c 'import pandas, polars, sklearn, scipy' 2>/dev/null; then
    echo "compare.sh: pandas/polars/scikit-learn/scipy not importable; skipping the Python scorers" >&2
    echo "            (pip install pandas polars scikit-learn scipy)" >&2
    python=0
fi

mkdir -p "$work"

# timed REPORT CMD...: run CMD, writing a /usr/bin/time -v report (or, without
# GNU time, one with the wall time only).
timed() {
    local report=$1; shift
    if [ "$gnu_time" = 1 ]; then
        /usr/bin/time -v -o "$report" "$@"
    else
        local start end status=0
        start=$(date +%s.%N)
        "$@" || status=$?
        end=$(date +%s.%N)
        awk -v s="$start" -v e="$end" 'BEGIN { printf "Elapsed (wall clock) time (h:mm:ss or m:ss): %.2f\n", e - s }' > "$report"
        return $status
    fi
}

# Fields of a /usr/bin/time -v report: wall seconds, cpu seconds, peak RSS in MiB.
time_fields() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, t, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + t[i] }
        /User time/ { u = $2 } /System time/ { s = $2 }
        /Maximum resident set size/ { r = $2 / 1024 }
        END { printf "%.2f %.2f %.0f\n", w, u + s, r }' "$1"
}
echo "== building (release)"
(cd "$repo" && cargo build --release --quiet --bin hindsight --example parse_only)
bin="$target/release"

ledger="$work/ledger-n$forecasts-k$forecasters-q$questions-s$seed"
if [ ! -f "$ledger/.complete" ]; then
    echo "== generating $ledger"
    rm -rf "$ledger"
    timed "$ledger.synth-time" "$bin/hindsight" synth --out "$ledger" \
        --forecasters "$forecasters" --questions "$questions" --forecasts "$forecasts" \
        --seed "$seed" > "$ledger.synth.json"
    touch "$ledger/.complete"
fi
[ -f "$ledger.synth-time" ] && echo "   synth: $(time_fields "$ledger.synth-time") (wall s, cpu s, peak MiB); $(du -sh "$ledger" | cut -f1) on disk"


# Outputs of this configuration's runs (JSON, /usr/bin/time reports, stderr).
runs="$work/runs-n$forecasts-k$forecasters-q$questions-s$seed"
rm -rf "$runs"
mkdir -p "$runs"
results="$runs/results.tsv"
: > "$results"
# measure NAME OUTFILE CMD...: run R times, keep the median run's numbers.
measure() {
    local name=$1 out=$2; shift 2
    local times=()
    for r in $(seq 1 "$repeat"); do
        if ! timed "$runs/$name.time.$r" "$@" > "$out" 2> "$runs/$name.err"; then
            echo "compare.sh: $name failed:" >&2; tail -5 "$runs/$name.err" >&2; exit 1
        fi
        times+=("$(time_fields "$runs/$name.time.$r")")
    done
    local mid
    mid=$(printf '%s\n' "${times[@]}" | sort -n -k1,1 | sed -n "$(( (repeat + 1) / 2 ))p")
    printf '%s\t%s\n' "$name" "$mid" | tr ' ' '\t' >> "$results"
    echo "   $name: $mid  (wall s, cpu s, peak MiB)"
}

echo "== running ($repeat run(s) each); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure parse_only "$runs/parse_only.out" "$bin/examples/parse_only" "$ledger"
measure hindsight "$runs/hindsight.json" "$bin/hindsight" --root "$ledger" score --format json
measure hindsight_r0 "$runs/hindsight_r0.json" "$bin/hindsight" --root "$ledger" score --format json --resamples 0
if [ "$python" = 1 ]; then
    measure pandas_sklearn "$runs/pandas.json" python3 "$here/score_pandas.py" "$ledger"
    measure polars "$runs/polars.json" python3 "$here/score_polars.py" "$ledger"
fi
if command -v python3 > /dev/null; then
    echo "== agreement with hindsight (contract SUMMARY keys, |diff| <= 1e-9)"
    for out in hindsight_r0 pandas polars; do
        if [ -f "$runs/$out.json" ]; then
            python3 "$here/check_agree.py" "$runs/hindsight.json" "$runs/$out.json"
        fi
    done
fi

echo
echo "== $forecasts forecasts, $forecasters forecasters, $questions questions (seed $seed); $(nproc) cores"
awk -F'\t' '
    function ratio(a, b) { return b > 0 ? a / b : 0 }
    { name[NR] = $1; w[NR] = $2; c[NR] = $3; m[NR] = $4; if ($1 == "hindsight") { hw = $2; hm = $4 } }
    END {
        printf "%-16s %9s %9s %11s %10s %10s\n", "tool", "wall s", "cpu s", "peak MiB", "wall/hs", "RSS/hs"
        for (i = 1; i <= NR; i++)
            printf "%-16s %9.2f %9.2f %11.0f %9.2fx %9.2fx\n", name[i], w[i], c[i], m[i], ratio(w[i], hw), ratio(m[i], hm)
    }' "$results"
echo
echo "== targets (issue 6), for each hindsight row"
awk -F'\t' '
    { w[$1] = $2; m[$1] = $4 }
    function check(label, ok, value) { printf "  %-44s %-8s %s\n", label, ok ? "met" : "NOT met", value }
    function ratio(a, b) { return b > 0 ? a / b : 0 }
    END {
        for (h = 0; h < 2; h++) {
            hs = h == 0 ? "hindsight" : "hindsight_r0"
            if (!(hs in w)) continue
            print hs ":"
            if ("pandas_sklearn" in w) {
                check("pandas + scikit-learn time / hindsight >= 5", ratio(w["pandas_sklearn"], w[hs]) >= 5, sprintf("%.2fx", ratio(w["pandas_sklearn"], w[hs])))
                check("hindsight peak RSS / pandas <= 0.25", m[hs] > 0 && ratio(m[hs], m["pandas_sklearn"]) <= 0.25, sprintf("%.2f", ratio(m[hs], m["pandas_sklearn"])))
            }
            if ("polars" in w)
                check("polars time / hindsight >= 2", ratio(w["polars"], w[hs]) >= 2, sprintf("%.2fx", ratio(w["polars"], w[hs])))
            if (w["parse_only"] > 0)
                check("hindsight / parse-only loop <= 2", ratio(w[hs], w["parse_only"]) <= 2, sprintf("%.2fx", ratio(w[hs], w["parse_only"])))
            else
                printf "  %-44s %s\n", "hindsight / parse-only loop <= 2", "(parse-only too fast to time)"
        }
    }' "$results"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(results: $results)"
