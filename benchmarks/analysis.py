"""Regional-analysis benchmark: the streamed per-library analysis against a naive pandas path.

Run:  python benchmarks/analysis.py [--responses 1000000] [--libraries 600]
      [--database postgresql+psycopg://postgres@127.0.0.1:5432/test] [--chunk-rows 50000]

1. Creates a scratch database beside the one named (dropped at the end), migrates it to the
   project's schema, and stores a synthetic campaign: ``--libraries`` libraries of very
   different sizes, an instrument of 30 five-point Likert items in five scales of six items
   (one reverse-keyed item per scale), and ``--responses`` responses with about 3 % missing
   answers — each as a ``responses`` row with its packed ``vector`` *and* its ``answers`` rows,
   as the application stores them, loaded with COPY.
2. In a child process that runs only that, times ``survey_app.services.reporting.
   regional_analysis``: reliability and item statistics per library and scale, every index
   with its interval, verdicts against a standard, empirical-Bayes shrinkage and rank
   intervals, all from the database; reports wall time and peak memory (``ru_maxrss``).
3. In another child process, the naive baseline: read the answers table into pandas, pivot to
   one row per response, and call ``pingouin.cronbach_alpha`` for every library and scale.
4. Prints one JSON object as its last line (figures, speed-up, and the largest difference
   between the two paths' alphas as a sanity check).

Both children run with ``OPENBLAS_NUM_THREADS=1``: the matrices are small (k ≤ 30), and
multi-threaded OpenBLAS made them up to 100x slower on the shared 2-core benchmark machine.
Nothing here is a test: it only prints figures.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

N_SCALES = 5
PER_SCALE = 6
ITEMS = [f"i{k:02d}" for k in range(1, N_SCALES * PER_SCALE + 1)]
SCALES = {f"s{s + 1}": ITEMS[s * PER_SCALE : (s + 1) * PER_SCALE] for s in range(N_SCALES)}
#: the last item of every scale is worded negatively
REVERSED = [members[-1] for members in SCALES.values()]
MISSING = 0.03

STANDARD_YAML = (
    """\
id: bench_standard
normative: false
notice: benchmark only
versions:
  - version: "1"
    effective_from: 2020-01-01
    effective_to: null
    indicators:
"""
    + "".join(f'      "scale:{s}": {{target: 3.4, minimum: 3.0, unit: points}}\n' for s in SCALES)
    + "".join(f'      "share_satisfied:{i}": {{target: 0.5, unit: proportion}}\n' for i in ITEMS)
)


def instrument_yaml() -> str:
    """The synthetic 30-item instrument (five pages of six Likert items, five scales)."""
    lines = ["id: bench_likert", "version: 1", "locales: [ru]", "title: {ru: Бенчмарк}"]
    lines.append("sections:")
    for scale, members in SCALES.items():
        lines.append(f"  - id: page_{scale}")
        lines.append(f"    title: {{ru: Страница {scale}}}")
        lines.append("    items:")
        for item in members:
            lines.append(
                f"      - {{id: {item}, type: likert, min: 1, max: 5, text: {{ru: Вопрос {item}}}}}"
            )
    lines.append("scales:")
    for scale, members in SCALES.items():
        reverse = [i for i in members if i in REVERSED]
        lines.append(
            f"  - {{id: {scale}, title: {{ru: Шкала {scale}}}, items: [{', '.join(members)}], "
            f"reverse: [{', '.join(reverse)}]}}"
        )
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------------------------


def library_sizes(rng: np.random.Generator, responses: int, libraries: int) -> np.ndarray:
    """Very unequal library sizes (log-normal), at least 5 responses each, summing exactly."""
    weights = rng.lognormal(0.0, 1.0, libraries)
    sizes = np.maximum(5, np.floor(weights / weights.sum() * responses)).astype(np.int64)
    sizes[np.argmax(sizes)] += responses - sizes.sum()
    return sizes


def answers_block(rng: np.random.Generator, effects: np.ndarray) -> np.ndarray:
    """Likert answers 1..5 (NaN = missing) for respondents with these library effects."""
    n = len(effects)
    general = rng.standard_normal(n)
    x = np.empty((n, len(ITEMS)))
    for s, members in enumerate(SCALES.values()):
        factor = 0.6 * general + 0.8 * rng.standard_normal(n)
        for j, item in enumerate(members):
            col = s * PER_SCALE + j
            loading = 0.5 + 0.1 * j
            raw = 3.1 + effects + loading * factor + 0.8 * rng.standard_normal(n)
            value = np.clip(np.rint(raw), 1, 5)
            x[:, col] = 6 - value if item in REVERSED else value
    x[rng.random(x.shape) < MISSING] = np.nan
    return x


def load(url: str, responses: int, libraries: int, seed: int) -> dict[str, object]:
    """Store the synthetic campaign; return its ids and how long loading took."""
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url
    from sqlalchemy.orm import Session

    import instruments
    from survey_app.models import Campaign
    from survey_app.models import InstrumentVersion
    from survey_app.models import Library
    from survey_app.models import LibrarySystem
    from survey_app.models import Region
    from survey_app.models.base import utcnow

    began = time.perf_counter()
    source = instrument_yaml()
    parsed = instruments.load(source.encode("utf-8"))
    assert parsed.analysis_keys == tuple(ITEMS)
    engine = sa.create_engine(url)
    with Session(engine) as session:
        region = Region(code="bench", name="Бенчмарк")
        system = LibrarySystem(region=region, code="bench-cbs", name="ЦБС")
        libs = [
            Library(system=system, code=f"lib-{k:05d}", name=f"Библиотека {k}")
            for k in range(libraries)
        ]
        version = InstrumentVersion(
            instrument_id=parsed.id,
            version=parsed.version,
            sha256=parsed.sha256,
            source=source,
            title="bench",
            published_at=utcnow(),
        )
        campaign = Campaign(code="bench", title="bench", instrument_version=version, libraries=libs)
        session.add(campaign)
        session.commit()
        campaign_id = campaign.id
        library_ids = np.array([lib.id for lib in libs], dtype=np.int64)
    engine.dispose()

    rng = np.random.default_rng(seed)
    sizes = library_sizes(rng, responses, libraries)
    effects_by_library = rng.normal(0.0, 0.25, libraries)
    owner = np.repeat(np.arange(libraries), sizes)
    rng.shuffle(owner)  # arrival order is not library order
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    sha = parsed.sha256
    received = utcnow().isoformat()
    with psycopg.connect(conninfo) as connection:
        connection.execute("SET session_replication_role = replica")  # no FK triggers in COPY
        connection.execute("DROP INDEX ix_answers_response_id")
        next_answer = 1
        for start in range(0, responses, 100_000):
            part = owner[start : start + 100_000]
            x = answers_block(rng, effects_by_library[part])
            ids = np.arange(start + 1, start + len(part) + 1)
            lines = io.StringIO()
            for rid, lib, row in zip(ids, library_ids[part], x, strict=True):
                lines.write(
                    f"{rid}\t{uuid.uuid4()}\t{campaign_id}\t{lib}\tqr\tbench_likert\t1\t{sha}\t"
                    f"{received}\t{sha}\t\\\\x{row.astype('<f8').tobytes().hex()}\n"
                )
            with connection.cursor().copy(
                "COPY responses (id, client_uuid, campaign_id, library_id, channel, "
                "instrument_id, instrument_version, instrument_sha256, received_at, "
                "content_sha256, vector) FROM STDIN"
            ) as copy:
                copy.write(lines.getvalue())
            present = ~np.isnan(x)
            rows, cols = np.nonzero(present)
            n_answers = len(rows)
            item_names = np.array(ITEMS, dtype=object)
            import pandas as pd

            frame = pd.DataFrame(
                {
                    "id": np.arange(next_answer, next_answer + n_answers),
                    "response_id": ids[rows],
                    "item_id": item_names[cols],
                    "column": "",
                    "value_num": x[rows, cols].astype(np.int64),
                }
            )
            next_answer += n_answers
            buffer = io.StringIO()
            frame.to_csv(buffer, sep="\t", header=False, index=False)
            with connection.cursor().copy(
                'COPY answers (id, response_id, item_id, "column", value_num) FROM STDIN'
            ) as copy:
                copy.write(buffer.getvalue())
        connection.execute("SET session_replication_role = DEFAULT")
        connection.execute("CREATE INDEX ix_answers_response_id ON answers (response_id)")
        connection.execute("SELECT setval('responses_id_seq', %s)", (responses,))
        connection.execute("SELECT setval('answers_id_seq', %s)", (next_answer - 1,))
        connection.commit()
        connection.autocommit = True
        connection.execute("VACUUM ANALYZE responses")
        connection.execute("VACUUM ANALYZE answers")
        stored = connection.execute("SELECT count(*) FROM answers").fetchone()[0]
    return {
        "campaign_id": campaign_id,
        "answers": int(stored),
        "largest_library": int(sizes.max()),
        "smallest_library": int(sizes.min()),
        "load_seconds": round(time.perf_counter() - began, 1),
    }


# ---------------------------------------------------------------------------------------------
# the two measured paths (each run in its own process)
# ---------------------------------------------------------------------------------------------


def peak_mb() -> float:
    """Peak resident memory of this process in MB (``ru_maxrss``, KB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def high_water_mb() -> float | None:
    """``VmHWM`` of /proc/self/status: the peak of this process image only (Linux keeps the
    parent's ``ru_maxrss`` across fork + exec, so the parent is kept small as well)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def run_ours(url: str, campaign_id: int, standard_path: str, chunk_rows: int) -> dict[str, object]:
    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    import analysis
    from survey_app.models import Campaign
    from survey_app.services.reporting import regional_analysis

    imported_mb = peak_mb()
    engine = sa.create_engine(url)
    standard = analysis.load_standard(standard_path)
    with Session(engine) as session:
        campaign = session.get(Campaign, campaign_id)
        began = time.perf_counter()
        report = regional_analysis(session, campaign, standard=standard, chunk_rows=chunk_rows)
        seconds = time.perf_counter() - began
    engine.dispose()
    rel = report.tables["reliability"]
    assert report.verdicts is not None
    alphas = {f"{row.library_id}:{row.scale}": row.alpha for row in rel.itertuples(index=False)}
    return {
        "seconds": round(seconds, 2),
        "peak_mb": peak_mb(),
        "vm_hwm_mb": high_water_mb(),
        "peak_mb_after_imports": imported_mb,
        "libraries": len(report.libraries),
        "responses": int(report.libraries["n"].sum()),
        "alphas": len(rel),
        "index_rows": len(report.indices),
        "verdicts": report.verdicts["verdict"].value_counts(dropna=False).to_dict(),
        "shrunk_rows": len(report.shrinkage),
        "notes": list(report.notes),
        "alpha": alphas,
    }


def run_baseline(url: str, campaign_id: int) -> dict[str, object]:
    import pandas as pd
    import pingouin
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    began = time.perf_counter()
    with engine.connect() as connection:
        long = pd.read_sql_query(
            sa.text(
                "SELECT r.library_id, a.response_id, a.item_id, a.value_num "
                "FROM answers a JOIN responses r ON r.id = a.response_id "
                "WHERE r.campaign_id = :campaign AND r.excluded_at IS NULL"
            ),
            connection,
            params={"campaign": campaign_id},
        )
    read_seconds = time.perf_counter() - began
    wide = long.pivot(index=["library_id", "response_id"], columns="item_id", values="value_num")
    del long
    for item in REVERSED:
        wide[item] = 6 - wide[item]
    alphas = {}
    for library_id, rows in wide.groupby(level="library_id", sort=True):
        for scale, members in SCALES.items():
            alpha, _ = pingouin.cronbach_alpha(data=rows[members], nan_policy="pairwise")
            alphas[f"{library_id}:{scale}"] = float(alpha)
    seconds = time.perf_counter() - began
    engine.dispose()
    return {
        "seconds": round(seconds, 2),
        "read_seconds": round(read_seconds, 2),
        "peak_mb": peak_mb(),
        "vm_hwm_mb": high_water_mb(),
        "alphas": len(alphas),
        "alpha": alphas,
    }


def child(args: list[str]) -> dict[str, object]:
    """Run this script with ``args`` in a fresh process; return its last line as JSON."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    began = time.perf_counter()
    output = subprocess.run(
        [sys.executable, __file__, *args], env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - began, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--libraries", type=int, default=600)
    parser.add_argument("--chunk-rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=20260301)
    parser.add_argument("--skip-baseline", action="store_true", help="Only time our path.")
    parser.add_argument("--child", choices=["load", "ours", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--standard", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child == "load":
        print(json.dumps(load(args.url, args.responses, args.libraries, args.seed)))
        return
    if args.child == "ours":
        print(json.dumps(run_ours(args.url, args.campaign, args.standard, args.chunk_rows)))
        return
    if args.child == "baseline":
        print(json.dumps(run_baseline(args.url, args.campaign)))
        return

    # the parent only orchestrates (small, so the children's ru_maxrss is their own)
    from survey_app.db import upgrade_database
    from tests.database import scratch_database

    os.environ["SURVEY_TEST_DATABASE_URL"] = args.database
    with tempfile.TemporaryDirectory() as tmp, scratch_database(Path(tmp)) as url:
        upgrade_database(url)
        sizes = ["--responses", str(args.responses), "--libraries", str(args.libraries)]
        loaded = child(["--child", "load", "--url", url, *sizes, "--seed", str(args.seed)])
        print(f"loaded: {json.dumps(loaded)}", file=sys.stderr, flush=True)
        standard = Path(tmp) / "standard.yaml"
        standard.write_text(STANDARD_YAML, encoding="utf-8")
        common = ["--url", url, "--campaign", str(loaded["campaign_id"])]
        ours = child(
            ["--child", "ours", *common, "--standard", str(standard)]
            + ["--chunk-rows", str(args.chunk_rows)]
        )
        print(f"ours: {ours['seconds']} s", file=sys.stderr, flush=True)
        baseline = None if args.skip_baseline else child(["--child", "baseline", *common])

    ours_alpha: dict[str, float] = ours.pop("alpha")  # type: ignore[assignment]
    result: dict[str, object] = {
        "benchmark": "analysis",
        "responses": args.responses,
        "libraries": args.libraries,
        "items": len(ITEMS),
        "scales": len(SCALES),
        "chunk_rows": args.chunk_rows,
        "parent_peak_mb": peak_mb(),
        "data": loaded,
        "ours": ours,
        "goal_memory_300mb": ours["peak_mb"] < 300,  # type: ignore[operator]
    }
    if baseline is not None:
        base_alpha: dict[str, float] = baseline.pop("alpha")  # type: ignore[assignment]
        # libraries below the minimum number of respondents have no alpha of ours (NaN)
        shared = sorted(
            k
            for k in set(ours_alpha) & set(base_alpha)
            if math.isfinite(ours_alpha[k]) and math.isfinite(base_alpha[k])
        )
        diffs = [abs(ours_alpha[k] - base_alpha[k]) for k in shared]
        speedup = baseline["seconds"] / ours["seconds"]  # type: ignore[operator]
        result.update(
            {
                "baseline": baseline,
                "speedup": round(speedup, 1),
                "goal_10x": speedup >= 10,
                "alphas_compared": len(shared),
                "max_alpha_difference": max(diffs) if diffs else None,
            }
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
