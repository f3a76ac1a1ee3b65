# Kernel report detection and parsing (app/core/log line handling, app/core/report).
kms_add_qtest(tst_linesplitter SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_linesplitter.cpp)
kms_add_qtest(tst_consoleline SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_consoleline.cpp)
kms_add_qtest(tst_reportdetector SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_reportdetector.cpp)
kms_add_qtest(tst_duplicatereports SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_duplicatereports.cpp)
kms_add_qtest(tst_reportparser SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_reportparser.cpp)
kms_add_qtest(tst_reportcorpus SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_reportcorpus.cpp)
kms_add_qtest(tst_reportformats SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_reportformats.cpp)
kms_add_qtest(tst_interleaving SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_interleaving.cpp)
