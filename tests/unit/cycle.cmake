kms_add_qtest(tst_cycleparts SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_cycleparts.cpp)
