"""Load benchmark: N concurrent gradio_client clients, each asking Q questions of a real server
started here on 127.0.0.1 (loopback only; bounded in count and time).

    python -m bench.load [--clients 16] [--questions 3]

Reports throughput, p50/p95 latency, failures and the server's peak RSS (sampled with psutil).
One generation runs at a time (the queue's concurrency limit), so latency grows with the queue;
the point is that every request is answered or cleanly queued, none dropped.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

from eval.metrics import percentile
from rag.config import PROJECT_ROOT

QUESTIONS = [
    "源城区企业的质量创新支出可以享受什么税收优惠？",
    "深圳市质量强市的奖补标准是多少？",
    "東莞提升企業質量管理能力由哪個部門負責？",
    "广东省行动计划中提升工程质量由哪个部门牵头？",
    "你好",
    "What is Dongguan's 2025 target for the food sampling inspection pass rate?",
]
DEADLINE_S = 1800


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--questions", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/load.json"))
    args = parser.parse_args(argv)
    port = free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "RAG_FEEDBACK_LOG": ""}
    server = subprocess.Popen(
        [sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}/"
    peak = [0]
    stop = threading.Event()

    def sample():
        proc = psutil.Process(server.pid)
        while not stop.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                peak[0] = max(peak[0], rss)
            except psutil.Error:
                pass
            time.sleep(0.2)

    try:
        for _ in range(180):
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                time.sleep(1)
        threading.Thread(target=sample, daemon=True).start()
        time.sleep(15)  # let the model finish loading in the background
        from gradio_client import Client

        def client_run(i: int) -> list[tuple[float, str | None]]:
            client = Client(url, verbose=False)
            results = []
            for j in range(args.questions):
                q = QUESTIONS[(i + j) % len(QUESTIONS)]
                t0 = time.perf_counter()
                try:
                    pred = client.predict(question=q, history=[], filters={}, api_name="/ask")
                    failure = None if pred.get("answer") else "empty answer"
                except Exception as exc:  # a failed request is exactly what we count
                    failure = f"{type(exc).__name__}: {exc}"
                results.append((time.perf_counter() - t0, failure))
            return results

        t0 = time.perf_counter()
        with cf.ThreadPoolExecutor(max_workers=args.clients) as pool:
            futures = [pool.submit(client_run, i) for i in range(args.clients)]
            done = [r for f in cf.as_completed(futures, timeout=DEADLINE_S) for r in f.result()]
        wall = time.perf_counter() - t0
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
    latencies = [d for d, _ in done]
    failures = [f for _, f in done if f]
    result = {
        "clients": args.clients,
        "questions_each": args.questions,
        "requests": len(done),
        "failed": len(failures),
        "failures": failures[:5],
        "wall_s": round(wall, 1),
        "throughput_per_min": round(60 * len(done) / wall, 1),
        "latency_p50_s": round(percentile(latencies, 50), 2),
        "latency_p95_s": round(percentile(latencies, 95), 2),
        "server_peak_rss_mb": round(peak[0] / 2**20),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    for k, v in result.items():
        print(f"{k:20s} {v}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
