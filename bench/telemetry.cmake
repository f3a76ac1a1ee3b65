# Telemetry: the dock at 8 x 10 kHz (CPU, latency to the screen; pyramid vs the naive way; Qt
# Charts vs QCustomPlot) and the store's RSS after an hour. Plain executables that print figures.
add_executable(bench_telemetry_store ${CMAKE_CURRENT_LIST_DIR}/telemetry_store.cpp)
target_link_libraries(bench_telemetry_store PRIVATE kmodscope-core)
if(TARGET kmodscope-gui)
    add_executable(bench_telemetry_dock ${CMAKE_CURRENT_LIST_DIR}/telemetry_dock.cpp)
    target_link_libraries(bench_telemetry_dock PRIVATE kmodscope-gui)
endif()
