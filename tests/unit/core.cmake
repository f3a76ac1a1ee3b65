kms_add_qtest(tst_kernelreport SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_kernelreport.cpp)
