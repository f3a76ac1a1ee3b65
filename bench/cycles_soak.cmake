# The Cycles dock's soak: the real main window runs N clean cycles on the virtual node and prints
# its RSS along the way (bench/cycles_soak.cpp). A plain executable; not run by ctest.
if(TARGET kmodscope-gui)
    add_executable(bench_cycles_soak ${CMAKE_CURRENT_LIST_DIR}/cycles_soak.cpp)
    target_link_libraries(bench_cycles_soak PRIVATE kmodscope-gui)
    target_compile_definitions(bench_cycles_soak PRIVATE KMS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
