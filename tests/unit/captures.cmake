kms_add_qtest(tst_captures SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_captures.cpp)
