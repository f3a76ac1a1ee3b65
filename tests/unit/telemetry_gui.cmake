# The Telemetry dock, offscreen, fed with a captured prudaq stream.
if(TARGET kmodscope-gui)
    kms_add_qtest(tst_gui_telemetry SOURCES ${CMAKE_CURRENT_LIST_DIR}/tst_gui_telemetry.cpp
        LABELS gui LIBS kmodscope-gui)
endif()
