# Race hunting (issue 14): statistics, the grid of conditions, the adaptive scheduler, results
# and their JSON; the driver runs cells as reload cycles.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/huntstats.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntgrid.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntresult.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntscheduler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntjson.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntsetup.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reproducer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/hunt.cpp
    ${CMAKE_CURRENT_LIST_DIR}/huntbackend.h
)
# On a node: batches as CycleRunner runs, background load.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/backgroundload.cpp
    ${CMAKE_CURRENT_LIST_DIR}/runnerbackend.cpp
)
