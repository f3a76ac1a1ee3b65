# Race hunting (issue 14): statistics, grid, scheduler, results and JSON.
kms_add_qtest(tst_huntstats SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_huntstats.cpp)
kms_add_qtest(tst_huntgrid SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_huntgrid.cpp)
kms_add_qtest(tst_huntscheduler SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_huntscheduler.cpp)
kms_add_qtest(tst_hunt SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_hunt.cpp)
kms_add_qtest(tst_huntload SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_huntload.cpp)
