# The window's own menus and layout (View menu, reset layout).
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/viewmenu.cpp ${CMAKE_CURRENT_LIST_DIR}/viewmenu.h
)
