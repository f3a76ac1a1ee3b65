# The node area: what kmodscope fetches from (and, later, runs on) a node over its links.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/nodefetcher.cpp
)
