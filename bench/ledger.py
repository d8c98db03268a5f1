"""Ledger appends per second versus pgbench's TPC-B-like transactions, on the same PostgreSQL.

(a) 16 concurrent writers (4 processes x 4 threads, so the GIL is not the limit), each appending
    one event per committed transaction through ``sync_server.ledger.append_event``, measured
    after a warm-up; once with the default durable commits and once with ``group_commit=True``
    (followed by ``wait_durable``, as a caller must). The whole chain is verified at the end.
(b) ``pgbench -i -s 16`` then ``pgbench -c 16 -j 2 -T ... -n`` (the built-in TPC-B-like script).

The measured time is split into interleaved rounds (ledger, pgbench, ledger group commit, ...) so
that a noisy neighbour on a shared machine weighs on every figure alike; each figure is the total
work over the total measured time. The ratio ledger/pgbench is the figure that travels.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from multiprocessing.synchronize import Barrier
from typing import Any

from bench.common import (
    admin_execute,
    emit,
    find_pgbench,
    log,
    machine_note,
    postgres_server,
    run_tool,
    scratch_database,
    server_version,
)

_TPS = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
ONE_TRIP, DURABLE, GROUP_COMMIT, PGBENCH = "one_trip", "durable", "group_commit", "pgbench"
LEDGER_MODES = (ONE_TRIP, DURABLE, GROUP_COMMIT)


def _parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench ledger", description=__doc__)
    p.add_argument("--processes", type=int, default=4, help="writer processes (default 4)")
    p.add_argument("--threads", type=int, default=4, help="writer threads per process (default 4)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    p.add_argument("--warmup", type=float, default=2.0, help="warm-up seconds in each round")
    p.add_argument(
        "--duration", type=float, default=12.0, help="measured seconds per ledger mode, in total"
    )
    p.add_argument("--scale", type=int, default=16, help="pgbench -s")
    p.add_argument("--clients", type=int, default=16, help="pgbench -c")
    p.add_argument("--jobs", type=int, default=2, help="pgbench -j")
    p.add_argument(
        "--pgbench-duration", type=int, default=15, help="pgbench seconds (-T), in total"
    )
    p.add_argument("--skip-pgbench", action="store_true", help="measure the ledger only")
    return p.parse_args(argv)


@dataclass(frozen=True)
class _WriterPlan:
    url: str
    threads: int
    warmup_s: float
    duration_s: float
    mode: str


def _writer_process(plan: _WriterPlan, barrier: Barrier, results: Any) -> None:
    """One OS process with ``plan.threads`` writers, each on its own connection."""
    from sync_server.db import make_engine
    from sync_server.ledger import append_and_commit, append_event, wait_durable

    engine = make_engine(
        plan.url, pool_size=plan.threads, max_overflow=0, application_name="bench-ledger"
    )
    go = threading.Event()
    window = [0.0, 0.0]
    outcome: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()
    cpr_id = str(uuid.uuid4())

    def writer(index: int) -> None:
        counted = total = 0
        latencies: list[float] = []
        with engine.connect() as conn:  # connected before the start signal
            conn.rollback()
            go.wait()
            start, end = window
            while True:
                t0 = time.monotonic()
                if t0 >= end:
                    break
                dados = {
                    "cpr_id": cpr_id,
                    "escritor": index,
                    "n": total,
                    "valor_usdc": "125.50000000",
                }
                with conn.begin():
                    if plan.mode == ONE_TRIP:
                        append_and_commit(
                            conn, tipo_evento="BENCH_APPEND", ator_tipo="BENCH", dados_evento=dados
                        )
                    else:
                        append_event(
                            conn,
                            tipo_evento="BENCH_APPEND",
                            ator_tipo="BENCH",
                            dados_evento=dados,
                            group_commit=plan.mode == GROUP_COMMIT,
                        )
                if plan.mode == GROUP_COMMIT:
                    wait_durable(conn)
                t1 = time.monotonic()
                total += 1
                if start <= t1 < end:
                    counted += 1
                    latencies.append(t1 - t0)
        with lock:
            outcome.append((counted, total, latencies))

    workers = [threading.Thread(target=writer, args=(i,)) for i in range(plan.threads)]
    for w in workers:
        w.start()
    time.sleep(0.5)  # let every thread open its connection
    barrier.wait()
    now = time.monotonic()
    window[:] = [now + plan.warmup_s, now + plan.warmup_s + plan.duration_s]
    go.set()
    for w in workers:
        w.join()
    engine.dispose()
    results.put(
        (
            sum(o[0] for o in outcome),
            sum(o[1] for o in outcome),
            [x for o in outcome for x in o[2]],
        )
    )


@dataclass
class _Tally:
    """Work and time of one side, summed over the rounds."""

    seconds: float = 0.0
    counted: float = 0.0  # appends (or pgbench transactions) inside the measured windows
    appended: int = 0  # every committed append, warm-up included
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        return round(self.counted / self.seconds, 1) if self.seconds else None

    def percentile_ms(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _ledger_round(
    url: str, args: argparse.Namespace, seconds: float, tally: _Tally, *, mode: str
) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(args.processes + 1)
    results = ctx.Queue()
    plan = _WriterPlan(url, args.threads, args.warmup, seconds, mode)
    procs = [
        ctx.Process(target=_writer_process, args=(plan, barrier, results))
        for _ in range(args.processes)
    ]
    for p in procs:
        p.start()
    barrier.wait(timeout=120)
    gathered = [results.get(timeout=args.warmup + seconds + 120) for _ in procs]
    for p in procs:
        p.join()
        if p.exitcode != 0:
            raise RuntimeError(f"writer process exited with {p.exitcode}")
    counted = sum(int(g[0]) for g in gathered)
    tally.seconds += seconds
    tally.counted += counted
    tally.appended += sum(int(g[1]) for g in gathered)
    tally.latencies.extend(float(x) for g in gathered for x in g[2])
    log(f"  {counted / seconds:.1f} appends/s")


def _pgbench_round(
    pgbench: str, url: str, args: argparse.Namespace, seconds: int, tally: _Tally
) -> None:
    cmd = [pgbench, "-c", str(args.clients), "-j", str(args.jobs), "-T", str(seconds), "-n"]
    output = run_tool(cmd, url, timeout_s=seconds + 120)
    match = _TPS.search(output)
    if match is None:
        raise RuntimeError(f"could not read tps from pgbench output:\n{output}")
    tps = float(match.group(1))
    tally.seconds += seconds
    tally.counted += tps * seconds
    log(f"  {tps:.1f} tps")


def verify(url: str) -> dict[str, Any]:
    from sync_server.db import make_engine
    from sync_server.ledger import verify_chain

    engine = make_engine(url, pool_size=1, max_overflow=0)
    try:
        t0 = time.monotonic()
        with engine.connect() as conn:
            result = verify_chain(conn)
        elapsed = time.monotonic() - t0
    finally:
        engine.dispose()
    return {
        "chain_ok": result.ok,
        "chain_events": result.count,
        "verify_events_per_s": round(result.count / elapsed, 1) if elapsed > 0 else None,
    }


def _ratio(value: float | None, reference: float | None) -> float | None:
    return round(value / reference, 3) if value is not None and reference else None


def main(argv: list[str]) -> int:
    args = _parse_args(argv)
    writers = args.processes * args.threads
    rounds = max(1, args.rounds)
    ledger_seconds = args.duration / rounds
    pgbench_seconds = max(1, round(args.pgbench_duration / rounds))
    tallies = {mode: _Tally() for mode in (*LEDGER_MODES, PGBENCH)}
    with postgres_server() as admin_url:
        version = server_version(admin_url)
        pgbench = None if args.skip_pgbench else find_pgbench()
        if not args.skip_pgbench and pgbench is None:
            log("pgbench not found: the reference figure will be missing")
        with (
            scratch_database(admin_url, "peerseed_bench_ledger") as ledger_url,
            scratch_database(admin_url, "peerseed_bench_pgbench", migrated=False) as pgb_url,
        ):
            if pgbench:
                log(f"pgbench -i -s {args.scale} -q ({pgbench})")
                run_tool([pgbench, "-i", "-s", str(args.scale), "-q"], pgb_url)
            admin_execute(admin_url, "CHECKPOINT")
            order = [ONE_TRIP, PGBENCH, DURABLE, GROUP_COMMIT]
            for r in range(rounds):
                for mode in order[r % 4 :] + order[: r % 4]:  # rotate who goes first
                    if mode == PGBENCH:
                        if pgbench:
                            log(
                                f"[{r + 1}/{rounds}] pgbench -c {args.clients} -j {args.jobs}"
                                f" -T {pgbench_seconds} -n"
                            )
                            _pgbench_round(
                                pgbench, pgb_url, args, pgbench_seconds, tallies[PGBENCH]
                            )
                        continue
                    log(
                        f"[{r + 1}/{rounds}] ledger {mode}: {writers} writers"
                        f" ({args.processes} processes x {args.threads} threads),"
                        f" {args.warmup:g}s warm-up + {ledger_seconds:g}s"
                    )
                    _ledger_round(
                        ledger_url,
                        args,
                        ledger_seconds,
                        tallies[mode],
                        mode=mode,
                    )
            log("verifying the chain")
            chain = verify(ledger_url)
            log(f"  ok={chain['chain_ok']} events={chain['chain_events']}")
    one_trip, durable = tallies[ONE_TRIP], tallies[DURABLE]
    grouped, reference = tallies[GROUP_COMMIT], tallies[PGBENCH]
    result: dict[str, Any] = {
        "bench": "ledger",
        "appends_per_s": one_trip.rate,
        "pgbench_tps": reference.rate,
        "ratio": _ratio(one_trip.rate, reference.rate),
        "appends_per_s_in_transaction": durable.rate,
        "ratio_in_transaction": _ratio(durable.rate, reference.rate),
        "appends_per_s_group_commit": grouped.rate,
        "ratio_group_commit": _ratio(grouped.rate, reference.rate),
        "writers": writers,
        "pgbench_clients": args.clients,
        "pgbench_scale": args.scale,
        "rounds": rounds,
        "latency_ms_p50": one_trip.percentile_ms(0.50),
        "latency_ms_p99": one_trip.percentile_ms(0.99),
        "latency_ms_p50_in_transaction": durable.percentile_ms(0.50),
        "latency_ms_p99_in_transaction": durable.percentile_ms(0.99),
        "latency_ms_p50_group_commit": grouped.percentile_ms(0.50),
        "latency_ms_p99_group_commit": grouped.percentile_ms(0.99),
        **chain,
        "postgres": version,
        **machine_note(),
    }
    log(
        f"ledger {result['appends_per_s']} appends/s (in a transaction"
        f" {result['appends_per_s_in_transaction']}, group commit"
        f" {result['appends_per_s_group_commit']}) vs pgbench {result['pgbench_tps']} tps:"
        f" ratio {result['ratio']} (in a transaction {result['ratio_in_transaction']},"
        f" group commit {result['ratio_group_commit']})"
    )
    emit(result)
    appended = sum(tallies[mode].appended for mode in LEDGER_MODES)
    return 0 if chain["chain_ok"] and chain["chain_events"] == appended else 1
