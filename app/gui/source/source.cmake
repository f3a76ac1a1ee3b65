# Source dock: the frame's file at its line (QScintilla), path maps, fetching, the editor.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/sourceview.cpp ${CMAKE_CURRENT_LIST_DIR}/sourceview.h
)
