"""One line describing the machine a benchmark ran on (printed by every benchmark)."""

import os
import platform


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    import numpy

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count()
    return (f"machine: {cpu_model()}, {cores} cores available, {platform.system()} "
            f"{platform.machine()}, Python {platform.python_version()}, numpy {numpy.__version__}")
