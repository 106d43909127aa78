#===- QCCFeatures.cmake - optional dependencies and host features --------===//
#
# Detects what qcc can build against and what the host can run. Every result
# becomes a QCC_HAVE_* variable; test/lit.site.cfg.py.in turns them into lit
# features (avx512, cuda, cbc, onnx) so tests can say `REQUIRES: avx512`.
#
#===----------------------------------------------------------------------===//

# ONNX 1.12 (Debian's libonnx-dev) and its protobuf dependency.
find_package(Protobuf REQUIRED)
find_package(ONNX 1.12 REQUIRED CONFIG)
message(STATUS "Found ONNX ${ONNX_VERSION}")

# COIN-OR CBC, the MILP solver of the bit allocator. Optional: without it
# qcc falls back to its exact built-in solver.
option(QCC_ENABLE_CBC "Use COIN-OR CBC for integer programs when found" ON)
set(QCC_HAVE_CBC OFF)
if(QCC_ENABLE_CBC)
  find_package(PkgConfig)
  if(PkgConfig_FOUND)
    pkg_check_modules(CBC IMPORTED_TARGET cbc)
    if(CBC_FOUND)
      set(QCC_HAVE_CBC ON)
      message(STATUS "Found COIN-OR CBC ${CBC_VERSION}")
    endif()
  endif()
endif()

# GoogleTest for unit tests.
find_package(GTest REQUIRED)

# CUDA toolkit: optional. Only nvcc/ptxas and the driver stub are needed to
# build; running GPU tests additionally needs a GPU (`nvidia-smi -L`).
option(QCC_ENABLE_CUDA "Build the CUDA backend when the toolkit is found" ON)
set(QCC_CUDA_ROOT "/usr/local/cuda" CACHE PATH "CUDA toolkit location")
set(QCC_HAVE_CUDA_TOOLKIT OFF)
set(QCC_HAVE_CUDA_DEVICE OFF)
if(QCC_ENABLE_CUDA AND EXISTS "${QCC_CUDA_ROOT}/bin/ptxas")
  set(QCC_HAVE_CUDA_TOOLKIT ON)
  message(STATUS "Found CUDA toolkit: ${QCC_CUDA_ROOT}")
  find_program(QCC_NVIDIA_SMI nvidia-smi)
  if(QCC_NVIDIA_SMI)
    execute_process(COMMAND ${QCC_NVIDIA_SMI} -L RESULT_VARIABLE _smi_rc
                    OUTPUT_QUIET ERROR_QUIET)
    if(_smi_rc EQUAL 0)
      set(QCC_HAVE_CUDA_DEVICE ON)
    endif()
  endif()
endif()
message(STATUS "CUDA GPU present: ${QCC_HAVE_CUDA_DEVICE}")

# Host CPU features, for the lit `avx512` feature (integration tests that run
# AVX-512 VNNI code). Generated code never depends on this: it dispatches at
# run time.
set(QCC_HAVE_AVX512 OFF)
if(EXISTS /proc/cpuinfo)
  file(READ /proc/cpuinfo _cpuinfo)
  if(_cpuinfo MATCHES "avx512f" AND _cpuinfo MATCHES "avx512bw" AND
     _cpuinfo MATCHES "avx512vl" AND _cpuinfo MATCHES "avx512_vnni")
    set(QCC_HAVE_AVX512 ON)
  endif()
endif()
message(STATUS "Host has AVX-512 VNNI: ${QCC_HAVE_AVX512}")
