# The telemetry store (rings, min/max pyramid, traces): exactness against brute force, gaps, budget.
kms_add_qtest(tst_telemetrystore SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_telemetrystore.cpp)
