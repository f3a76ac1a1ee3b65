# Build ids of the node's kernel and modules, for debuginfod (see buildids.h).
list(APPEND KMS_CORE_SOURCES ${CMAKE_CURRENT_LIST_DIR}/buildids.cpp)
