"""How fast the machine is while a benchmark runs, to read its timings against.

On a shared virtual machine the same code's wall time and CPU time both change with what
the host runs next to it (the guest's load average and steal time do not show it: session
38's analytic calls took 1.45-1.70 ms, session 39's 0.86-0.91 ms and, half an hour later,
1.34-1.68 ms, same code, same machine). :func:`reference_ms` times a fixed
workload shaped like the performance engine's (small numpy arrays, many calls), so a
benchmark's timings can be read in units of it.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

#: Rounds of the reference workload per timing, and timings whose median is reported.
REFERENCE_ROUNDS = 200
REFERENCE_REPEATS = 15


def _reference_round(a: np.ndarray, b: np.ndarray) -> float:
    """About forty elementwise numpy operations on 128-element arrays and a reduction."""
    x = a
    for _ in range(10):
        x = np.maximum(x * b + a, 0.5) / np.sqrt(b + 1.0)
    return float(x.sum())


def reference_ms() -> float:
    """Median wall time (ms) of :data:`REFERENCE_ROUNDS` rounds of the reference workload."""
    a = np.linspace(1.0, 2.0, 128)
    b = np.linspace(0.5, 1.5, 128)
    times = []
    for _ in range(REFERENCE_REPEATS):
        started = time.perf_counter()
        for _ in range(REFERENCE_ROUNDS):
            _reference_round(a, b)
        times.append((time.perf_counter() - started) * 1e3)
    return statistics.median(times)


def describe() -> str:
    """One line: the load average, the CPUs and the reference workload's time."""
    return (
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs; reference workload "
        f"{reference_ms():.2f} ms (bench/support/machine.py: timings scale with it)"
    )
