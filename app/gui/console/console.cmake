# Console dock: the line store (capped, chunked), its view (painting, search and the serial input
# as pieces of their own), and the map from the session's line numbers to the console's.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/consolemodel.cpp ${CMAKE_CURRENT_LIST_DIR}/consolemodel.h
    ${CMAKE_CURRENT_LIST_DIR}/consoleview.cpp ${CMAKE_CURRENT_LIST_DIR}/consoleview.h
    ${CMAKE_CURRENT_LIST_DIR}/consoledelegate.cpp ${CMAKE_CURRENT_LIST_DIR}/consoledelegate.h
    ${CMAKE_CURRENT_LIST_DIR}/consolesearch.cpp ${CMAKE_CURRENT_LIST_DIR}/consolesearch.h
    ${CMAKE_CURRENT_LIST_DIR}/consoleinput.cpp ${CMAKE_CURRENT_LIST_DIR}/consoleinput.h
    ${CMAKE_CURRENT_LIST_DIR}/consolelinemap.cpp ${CMAKE_CURRENT_LIST_DIR}/consolelinemap.h
    ${CMAKE_CURRENT_LIST_DIR}/consoleactions.cpp ${CMAKE_CURRENT_LIST_DIR}/consoleactions.h
)
