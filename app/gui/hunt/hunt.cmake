# Hunt dock: race hunts (core hunt objects over a CycleRunner on the window's node session), the
# grid as a heat map of hit rates with intervals, crashes per cell, the best reproducer.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/huntgridmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/huntgridmodel.h
    ${CMAKE_CURRENT_LIST_DIR}/huntcelldelegate.cpp ${CMAKE_CURRENT_LIST_DIR}/huntcelldelegate.h
    ${CMAKE_CURRENT_LIST_DIR}/huntform.cpp ${CMAKE_CURRENT_LIST_DIR}/huntform.h
    ${CMAKE_CURRENT_LIST_DIR}/huntview.cpp ${CMAKE_CURRENT_LIST_DIR}/huntview.h
)
