list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/kernelreport.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportmarkers.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportmessages.cpp
    ${CMAKE_CURRENT_LIST_DIR}/framelineparser.cpp
    ${CMAKE_CURRENT_LIST_DIR}/guiltyframe.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportfields.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportparser.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportheader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportlines.cpp
    ${CMAKE_CURRENT_LIST_DIR}/reportdetector.cpp
    ${CMAKE_CURRENT_LIST_DIR}/duplicatereports.cpp
)
