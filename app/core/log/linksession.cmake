# Live-source pieces of the log area (links issue): line assembly with receive times, the
# session log and its reader, raw capture.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/lineassembler.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sessionlog.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sessionlogreader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rawcapture.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dmesgreplay.cpp
)
