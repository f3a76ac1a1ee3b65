list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/accessdecoder.cpp
    ${CMAKE_CURRENT_LIST_DIR}/addresskind.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dwarftypes.cpp
    ${CMAKE_CURRENT_LIST_DIR}/memberchain.cpp
    ${CMAKE_CURRENT_LIST_DIR}/faultexplainer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/loadsections.cpp
    ${CMAKE_CURRENT_LIST_DIR}/explanationjson.cpp
)
