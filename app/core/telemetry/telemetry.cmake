# Telemetry (issue 10): sources, parser, printk clock, alarms, recorder; the hub that runs them.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cycletimeline.cpp
    ${CMAKE_CURRENT_LIST_DIR}/printkclock.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetryalarms.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetryhub.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetryparser.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetrypoll.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetryrecorder.cpp
    ${CMAKE_CURRENT_LIST_DIR}/telemetrysource.cpp
)
