# Reload cycles (CycleRunner): the node-side script is compiled in from cyclescript.sh.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cycleanalysis.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cycleconfig.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cycleconsole.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclehistory.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclemarkdown.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cycleresult.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclerunner.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclerunner_node.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclerunner_session.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclerunreport.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclescript.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cycleshell.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cyclespool.cpp
    ${CMAKE_CURRENT_LIST_DIR}/cycletelemetry.cpp
    ${CMAKE_CURRENT_LIST_DIR}/leaktracker.cpp
    ${CMAKE_CURRENT_BINARY_DIR}/cycle/cyclescript_text.cpp
)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/cyclescript.sh)
file(READ ${CMAKE_CURRENT_LIST_DIR}/cyclescript.sh KMS_CYCLE_SCRIPT)
configure_file(${CMAKE_CURRENT_LIST_DIR}/cyclescript_text.cpp.in
    ${CMAKE_CURRENT_BINARY_DIR}/cycle/cyclescript_text.cpp @ONLY)
