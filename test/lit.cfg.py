# -*- Python -*-
# Configuration of the qcc lit test suite.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "qcc"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".onnxtext"]
# fuzz/ (a lit suite of its own, run by hand) and onnx-backend/ (utils/check.sh
# runs it) are not part of this suite.
config.excludes = ["CMakeLists.txt", "README.md", "lit.cfg.py", "lit.site.cfg.py", "unit", "Inputs",
                   "fuzz", "onnx-backend"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qcc_obj_root, "test")

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tool_dirs = [config.qcc_tools_dir, config.llvm_tools_dir]
llvm_config.add_tool_substitutions(["qcc-opt", "qcc", "qcc-run", "qcc-tune"], tool_dirs)
config.substitutions.append(("%python", "/usr/bin/python3"))  # Debian's, with NumPy
config.substitutions.append(("%qcc_bin", config.qcc_tools_dir))

# The host architecture (tests that disassemble x86-64 code).
import platform
if platform.machine() in ("x86_64", "AMD64"):
    config.available_features.add("x86_64")

# Features from configure-time detection (cmake/QCCFeatures.cmake).
if config.have_avx512:
    config.available_features.add("avx512")
if config.have_cbc:
    config.available_features.add("cbc")
if config.have_cuda_toolkit:
    config.available_features.add("cuda-toolkit")
if config.have_cuda_device:
    config.available_features.add("cuda")
