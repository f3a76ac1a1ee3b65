# The window's own menus and layout (View menu, reset layout).
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/viewmenu.cpp ${CMAKE_CURRENT_LIST_DIR}/viewmenu.h
    ${CMAKE_CURRENT_LIST_DIR}/elidedlabel.cpp ${CMAKE_CURRENT_LIST_DIR}/elidedlabel.h
    ${CMAKE_CURRENT_LIST_DIR}/copyaction.cpp ${CMAKE_CURRENT_LIST_DIR}/copyaction.h
)
