# The Telemetry dock: plots behind PlotCanvas (Qt Charts and QCustomPlot, compared in
# bench/telemetry_dock.cpp), grouped by unit, with markers on the node-time axis.
find_package(Qt6 REQUIRED COMPONENTS Charts PrintSupport)
find_package(QCustomPlotQt6 REQUIRED)
list(APPEND KMS_GUI_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/plotcanvas.cpp ${CMAKE_CURRENT_LIST_DIR}/plotcanvas.h
    ${CMAKE_CURRENT_LIST_DIR}/chartscanvas.cpp ${CMAKE_CURRENT_LIST_DIR}/chartscanvas.h
    ${CMAKE_CURRENT_LIST_DIR}/customplotcanvas.cpp ${CMAKE_CURRENT_LIST_DIR}/customplotcanvas.h
    ${CMAKE_CURRENT_LIST_DIR}/cyclemarkers.cpp ${CMAKE_CURRENT_LIST_DIR}/cyclemarkers.h
    ${CMAKE_CURRENT_LIST_DIR}/channelgroups.cpp ${CMAKE_CURRENT_LIST_DIR}/channelgroups.h
    ${CMAKE_CURRENT_LIST_DIR}/telemetryview.cpp ${CMAKE_CURRENT_LIST_DIR}/telemetryview.h)
list(APPEND KMS_GUI_LIBS Qt6::Charts QCustomPlotQt6::QCustomPlotQt6)
