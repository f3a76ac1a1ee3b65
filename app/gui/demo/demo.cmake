# The guided demo: the Demo menu (virtual-node profiles only), its short hunt, and finding a
# running virtual node for "New profile from virtual node".
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/virtualnode.cpp ${CMAKE_CURRENT_LIST_DIR}/virtualnode.h
    ${CMAKE_CURRENT_LIST_DIR}/demomenu.cpp ${CMAKE_CURRENT_LIST_DIR}/demomenu.h
    ${CMAKE_CURRENT_LIST_DIR}/demohunt.cpp ${CMAKE_CURRENT_LIST_DIR}/demohunt.h
)
