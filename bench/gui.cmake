# Console append throughput of the GUI (model + view + report detection in its worker) and RSS at
# 1M lines. A plain executable that prints figures; run it with QT_QPA_PLATFORM=offscreen or
# under xvfb-run. Not run by ctest.
if(TARGET kmodscope-gui)
    add_executable(bench_gui_console ${CMAKE_CURRENT_LIST_DIR}/gui_console.cpp)
    target_link_libraries(bench_gui_console PRIVATE kmodscope-gui)
    target_compile_definitions(bench_gui_console PRIVATE KMS_SAMPLES_DIR="${PROJECT_SOURCE_DIR}/resources/samples")
endif()
