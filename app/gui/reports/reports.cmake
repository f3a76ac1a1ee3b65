# Reports dock: the list of reports, the frame table, and the bug-report text.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/reportsmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/reportsmodel.h
    ${CMAKE_CURRENT_LIST_DIR}/reportsview.cpp ${CMAKE_CURRENT_LIST_DIR}/reportsview.h
    ${CMAKE_CURRENT_LIST_DIR}/bugreport.cpp ${CMAKE_CURRENT_LIST_DIR}/bugreport.h
    ${CMAKE_CURRENT_LIST_DIR}/reportfollower.cpp ${CMAKE_CURRENT_LIST_DIR}/reportfollower.h
    ${CMAKE_CURRENT_LIST_DIR}/codelisting.cpp ${CMAKE_CURRENT_LIST_DIR}/codelisting.h
    ${CMAKE_CURRENT_LIST_DIR}/codeview.cpp ${CMAKE_CURRENT_LIST_DIR}/codeview.h
    ${CMAKE_CURRENT_LIST_DIR}/reportactions.cpp ${CMAKE_CURRENT_LIST_DIR}/reportactions.h
    ${CMAKE_CURRENT_LIST_DIR}/selectiondecoder.cpp ${CMAKE_CURRENT_LIST_DIR}/selectiondecoder.h
)
