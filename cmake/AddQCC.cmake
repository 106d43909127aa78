#===- AddQCC.cmake - helpers for qcc libraries and tools -----------------===//
#
# Every qcc library links the shared libMLIR.so / libLLVM.so instead of the
# static component libraries: links take seconds instead of minutes and every
# tool shares one copy of MLIR's global registries.
#
#===----------------------------------------------------------------------===//

# add_qcc_library(name sources... [DEPENDS targets...] [LINK_LIBS libs...])
function(add_qcc_library name)
  cmake_parse_arguments(ARG "" "" "DEPENDS;LINK_LIBS" ${ARGN})
  add_library(${name} STATIC ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()

# add_qcc_tool(name sources... [LINK_LIBS libs...])
function(add_qcc_tool name)
  cmake_parse_arguments(ARG "" "" "LINK_LIBS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  set_target_properties(${name} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  target_link_libraries(${name} PRIVATE ${ARG_LINK_LIBS} MLIR LLVM)
endfunction()
