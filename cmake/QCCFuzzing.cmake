#===- QCCFuzzing.cmake - libFuzzer harnesses and fuzzing builds ----------===//
#
# QCC_BUILD_FUZZERS (default: on when the compiler is clang and links
#   -fsanitize=fuzzer, i.e. libclang-rt-22-dev is installed) builds the
#   harnesses of test/fuzz, themselves compiled with libFuzzer, ASan and
#   UBSan. In a normal build the qcc libraries they link are not
#   instrumented: the harness keeps compiling, but would fuzz blind.
# QCC_FUZZ (default off; utils/fuzz.sh turns it on in build-fuzz/) compiles
#   every qcc library and tool of the build directory with ASan, UBSan and
#   libFuzzer's coverage instrumentation, so the fuzzer sees the importer's
#   (and the qcc dialect's) branches. libMLIR.so, libonnx and libprotobuf
#   are prebuilt Debian libraries and stay uninstrumented.
#
#===----------------------------------------------------------------------===//
include(CheckCXXSourceCompiles)

set(QCC_SANITIZERS "address,undefined")
set(QCC_FUZZER_FLAGS -fsanitize=fuzzer,${QCC_SANITIZERS}
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer)

if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer")
  check_cxx_source_compiles([[
    #include <cstddef>
    #include <cstdint>
    extern "C" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) {
      return 0;
    }]] QCC_HAVE_LIBFUZZER)
  unset(CMAKE_REQUIRED_FLAGS)
endif()

option(QCC_BUILD_FUZZERS "Build the libFuzzer harnesses of test/fuzz"
       ${QCC_HAVE_LIBFUZZER})
option(QCC_FUZZ "Instrument all of qcc for fuzzing (use a dedicated build \
directory: utils/fuzz.sh)" OFF)

if(QCC_BUILD_FUZZERS AND NOT QCC_HAVE_LIBFUZZER)
  message(FATAL_ERROR "QCC_BUILD_FUZZERS needs clang with libFuzzer "
                      "(Debian: libclang-rt-22-dev)")
endif()
if(QCC_FUZZ)
  if(NOT QCC_BUILD_FUZZERS)
    message(FATAL_ERROR "QCC_FUZZ needs QCC_BUILD_FUZZERS")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,${QCC_SANITIZERS}
                      -fno-sanitize-recover=undefined -fno-omit-frame-pointer
                      -gline-tables-only)
  add_link_options(-fsanitize=${QCC_SANITIZERS})
endif()
message(STATUS "libFuzzer harnesses: ${QCC_BUILD_FUZZERS} "
               "(instrumented qcc libraries: ${QCC_FUZZ})")
