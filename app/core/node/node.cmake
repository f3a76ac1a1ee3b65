# The node area: the live session with a node (links, line pipeline, reports, fetching) and
# what kmodscope fetches from (and, later, runs on) a node over its links.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/nodefetcher.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportengine.cpp
    ${CMAKE_CURRENT_LIST_DIR}/nodesession.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sessionreports.cpp
)
