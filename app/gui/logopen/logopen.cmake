# Opening a log file (File > Open log…, drag and drop, `kmodscope FILE`): read in a worker thread,
# fed into the session.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/logfilereader.cpp ${CMAKE_CURRENT_LIST_DIR}/logfilereader.h
    ${CMAKE_CURRENT_LIST_DIR}/logopener.cpp ${CMAKE_CURRENT_LIST_DIR}/logopener.h
)
