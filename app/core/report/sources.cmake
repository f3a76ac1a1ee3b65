list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/kernelreport.cpp
)
