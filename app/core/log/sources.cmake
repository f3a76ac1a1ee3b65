list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/linesplitter.cpp
    ${CMAKE_CURRENT_LIST_DIR}/consoleline.cpp
)
