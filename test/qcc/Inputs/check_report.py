"""Checks a --precision=mixed JSON report (test/qcc/mixed.test).

  check_report.py same A B   the reports agree except for measured latency
  check_report.py measured A the measured latency is consistent: every layer
                             has a positive time, they add up to layers_ms,
                             which is at most the whole run; >= 10 runs
"""
import json
import sys


def strip_measured(report):
    report = dict(report)
    report.pop("measured", None)
    report["layers"] = [
        {k: v for k, v in layer.items() if k != "measured_ms"}
        for layer in report["layers"]
    ]
    return report


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path) as f:
        report = json.load(f)
    if mode == "same":
        with open(sys.argv[3]) as f:
            other = json.load(f)
        if strip_measured(report) != strip_measured(other):
            sys.exit(f"{path} and {sys.argv[3]} differ")
        print("same")
        return
    measured = report["measured"]
    if measured is None:
        sys.exit("no measured latency")
    times = [layer["measured_ms"] for layer in report["layers"]]
    if any(t is None or t <= 0 for t in times):
        sys.exit(f"a layer without a positive time: {times}")
    if abs(sum(times) - measured["layers_ms"]) > 1e-9 * max(1, sum(times)):
        sys.exit(f"layers {times} do not add up to {measured['layers_ms']}")
    if not measured["layers_ms"] <= measured["run_ms"]:
        sys.exit(f"layers {measured['layers_ms']} ms > run {measured['run_ms']} ms")
    if measured["runs"] < 10 or measured["threads"] < 1:
        sys.exit(f"bad runs/threads: {measured}")
    print(f"measured: {len(times)} layers, runs {measured['runs']}, "
          f"threads {measured['threads']}")


if __name__ == "__main__":
    main()
