# -*- Python -*-
# The fuzzing smoke suite: a lit suite of its own, run by hand, never by
# utils/check.sh (CI time). Build the instrumented fuzzer first:
#
#   utils/fuzz.sh 0                 # configure + build build-fuzz/, no fuzzing
#   /usr/lib/llvm-22/bin/lit -sv test/fuzz
#
# `--param fuzzer=PATH` tests another build of qcc-onnx-fuzzer.

import os

import lit.formats

config.name = "qcc-fuzz"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".test"]
config.excludes = ["corpus", "CMakeLists.txt", "lit.cfg.py"]
config.test_source_root = os.path.dirname(__file__)
root = os.path.dirname(os.path.dirname(config.test_source_root))
config.test_exec_root = os.path.join(root, "build-fuzz", "test", "fuzz")

fuzzer = lit_config.params.get(
    "fuzzer", os.path.join(root, "build-fuzz", "bin", "qcc-onnx-fuzzer"))
if not os.path.exists(fuzzer):
    lit_config.fatal(f"no fuzzer at {fuzzer}: run utils/fuzz.sh 0 first")
config.substitutions.append(("%fuzzer", fuzzer))
config.substitutions.append(
    ("%corpus", os.path.join(config.test_source_root, "corpus")))
config.substitutions.append(
    ("%regressions", os.path.join(root, "test", "Frontend", "ONNX", "Inputs")))
config.environment["ASAN_OPTIONS"] = "detect_leaks=1"
config.environment["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
config.environment["ASAN_SYMBOLIZER_PATH"] = "/usr/lib/llvm-22/bin/llvm-symbolizer"
config.environment["PATH"] = os.pathsep.join(
    ["/usr/lib/llvm-22/bin", os.environ.get("PATH", "")])
