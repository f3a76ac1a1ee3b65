# Cycles dock: reload-cycle runs (CycleRunner on the window's node session), their live table,
# totals and Markdown export.
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/cyclesmodel.cpp ${CMAKE_CURRENT_LIST_DIR}/cyclesmodel.h
    ${CMAKE_CURRENT_LIST_DIR}/cyclesview.cpp ${CMAKE_CURRENT_LIST_DIR}/cyclesview.h
    ${CMAKE_CURRENT_LIST_DIR}/cyclesdecoder.cpp ${CMAKE_CURRENT_LIST_DIR}/cyclesdecoder.h
)
