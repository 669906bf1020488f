"""Load test for `despin serve`, on loopback only: N requests at C concurrent, p50/p99 and errors.

Starts ``despin serve`` in a subprocess on 127.0.0.1 (a free port), waits for /healthz,
then measures, in the same run:

1. baseline, in-process: `despin.check` on a sample of the same texts, one at a time
   (what the detector costs without HTTP);
2. baseline, HTTP floor: ``GET /healthz`` at the same concurrency (what the server and the
   client cost without the detector);
3. ``POST /v1/check`` with news-length texts: N requests, C at a time.

Texts come from ``../shared/data/news-dev/articles.jsonl`` when present (third-party,
read here only, never copied), else from a generator of news-like sentences.

    python benchmarks/serve_load.py                       # 1,000 requests, 50 concurrent, 1 worker
    python benchmarks/serve_load.py --workers 2 --requests 200
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
NEWS = ROOT.parent / "shared" / "data" / "news-dev" / "articles.jsonl"


# --------------------------------------------------------------------------- texts
_SUBJECTS = ["The central bank", "The company", "Officials", "The ministry", "Analysts", "The union",
             "Shareholders", "The city council", "Exporters", "The government"]
_VERBS = ["said on Monday that", "told reporters that", "expected that", "reported that", "warned that",
          "announced that", "confirmed on Friday that"]
_CLAUSES = ["profits rose sharply in the first quarter", "prices would fall later this year",
            "the plan would cut costs by ten pct", "exports to the region grew by four pct",
            "talks with the lenders would resume next week", "output at the plant was lower than forecast",
            "the new rules would take effect in March", "demand for crude oil remained weak",
            "the deal was worth about 120 mln dlrs", "interest rates were likely to stay unchanged"]


def generated_texts(n: int, seed: int = 7) -> list[str]:
    """News-length texts (~250 words) of plain sentences: a stand-in when news-dev is absent."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        paras = []
        for _ in range(3):
            sents = [f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_CLAUSES)}." for _ in range(6)]
            paras.append(" ".join(sents))
        out.append("\n\n".join(paras))
    return out


def load_texts(n: int) -> tuple[list[str], str]:
    if NEWS.exists():
        texts = []
        with open(NEWS, encoding="utf-8") as fh:
            for line in fh:
                texts.append(json.loads(line)["text"])
                if len(texts) >= n:
                    break
        return texts, f"news-dev ({NEWS.name}, first {len(texts)} articles)"
    return generated_texts(n), f"generated ({n} texts)"


# --------------------------------------------------------------------------- server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-c", "from despin.cli import main; main()", "serve", "--host", "127.0.0.1",
           "--port", str(port), "--workers", str(workers), "--threads", str(threads), "--log-level", "warning",
           "--queue-timeout", "120"]
    return subprocess.Popen(cmd, cwd=ROOT)


def wait_ready(url: str, proc: subprocess.Popen[bytes], limit_s: float = 180) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with code {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return time.monotonic() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"server not ready after {limit_s} s")


# --------------------------------------------------------------------------- load
async def load(url: str, method: str, path: str, bodies: list[Any], n: int, concurrency: int,
               max_seconds: float) -> dict[str, Any]:
    """N requests, at most ``concurrency`` in flight, through aiohttp (its C HTTP parser keeps the
    client's own CPU use small: the client shares the cores with the server it measures)."""
    import aiohttp

    latencies: list[float] = []
    statuses: dict[str, int] = {}
    sem = asyncio.Semaphore(concurrency)
    payloads = [json.dumps(b).encode() for b in bodies]
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=180.0)
    async with aiohttp.ClientSession(base_url=url, connector=connector, timeout=timeout) as client:

        async def one(i: int) -> None:
            async with sem:
                t = time.perf_counter()
                try:
                    if method == "GET":
                        resp = client.get(path)
                    else:
                        resp = client.post(path, data=payloads[i % len(payloads)],
                                           headers={"content-type": "application/json"})
                    async with resp as r:
                        await r.read()
                        key = str(r.status)
                except (TimeoutError, aiohttp.ClientError) as e:
                    key = type(e).__name__
                latencies.append(time.perf_counter() - t)
                statuses[key] = statuses.get(key, 0) + 1

        t0 = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(n))), max_seconds)
        except TimeoutError:
            statuses["unfinished"] = n - len(latencies)
        wall = time.perf_counter() - t0
    return summarise(latencies, statuses, wall)


def summarise(latencies: list[float], statuses: dict[str, int], wall: float) -> dict[str, Any]:
    lat = sorted(latencies)

    def q(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    errors = sum(v for k, v in statuses.items() if k != "200")
    return {"done": len(lat), "errors": errors, "statuses": statuses, "wall_s": round(wall, 2),
            "rps": round(len(lat) / wall, 2) if wall else 0.0, "p50_s": round(q(0.50), 4),
            "p90_s": round(q(0.90), 4), "p99_s": round(q(0.99), 4), "max_s": round(lat[-1], 4) if lat else None,
            "mean_s": round(statistics.fmean(lat), 4) if lat else None}


def in_process_baseline(texts: list[str]) -> dict[str, Any]:
    import despin

    despin.preload()  # as the server's check processes do
    despin.check("Warm up the lexicon and the language model.")
    lat = []
    t0 = time.perf_counter()
    for t in texts:
        s = time.perf_counter()
        despin.check(t)
        lat.append(time.perf_counter() - s)
    return summarise(lat, {"200": len(lat)}, time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    ap.add_argument("--threads", type=int, default=2, help="checks at once per worker")
    ap.add_argument("--texts", type=int, default=200, help="distinct texts, cycled")
    ap.add_argument("--baseline-texts", type=int, default=50, help="texts for the in-process baseline")
    ap.add_argument("--max-seconds", type=float, default=900, help="stop the load phase after this long")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args()
    if not 1 <= args.requests <= 100_000 or not 1 <= args.concurrency <= 1000:
        raise SystemExit("--requests must be 1..100000 and --concurrency 1..1000")

    texts, origin = load_texts(args.texts)
    words = statistics.fmean(len(t.split()) for t in texts)
    result: dict[str, Any] = {
        "texts": origin, "mean_words": round(words, 1), "requests": args.requests,
        "concurrency": args.concurrency, "workers": args.workers, "threads": args.threads,
        "cpus": os.cpu_count(),
    }
    result["in_process"] = in_process_baseline(texts[: args.baseline_texts])

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port, args.workers, args.threads)
    try:
        result["startup_s"] = round(wait_ready(url, proc), 2)
        result["healthz"] = asyncio.run(load(url, "GET", "/healthz", [], args.requests, args.concurrency, 120))
        bodies = [{"text": t} for t in texts]
        result["check"] = asyncio.run(load(url, "POST", "/v1/check", bodies, args.requests, args.concurrency,
                                           args.max_seconds))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()

    if args.json:
        print(json.dumps(result, indent=1))
        return
    print(f"texts: {result['texts']}, mean {result['mean_words']} words; {args.requests} requests at "
          f"{args.concurrency} concurrent; {args.workers} worker(s) x {args.threads} thread(s); "
          f"{result['cpus']} CPUs; server ready in {result['startup_s']} s")
    print(f"{'phase':<28}{'done':>6}{'errors':>8}{'req/s':>9}{'p50 s':>9}{'p90 s':>9}{'p99 s':>9}{'max s':>9}")
    for name, key in [("in-process check (1 at a time)", "in_process"), ("GET /healthz (HTTP floor)", "healthz"),
                      ("POST /v1/check", "check")]:
        r = result[key]
        print(f"{name[:28]:<28}{r['done']:>6}{r['errors']:>8}{r['rps']:>9}{r['p50_s']:>9}{r['p90_s']:>9}"
              f"{r['p99_s']:>9}{r['max_s']:>9}")
    print("statuses:", result["check"]["statuses"])


if __name__ == "__main__":
    main()
