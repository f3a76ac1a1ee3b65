# The telemetry store (rings, min/max pyramid, plot traces): owned by the plots' side.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/telemetrysample.h
    ${CMAKE_CURRENT_LIST_DIR}/chunkedseries.h
    ${CMAKE_CURRENT_LIST_DIR}/channelhistory.cpp ${CMAKE_CURRENT_LIST_DIR}/channelhistory.h
    ${CMAKE_CURRENT_LIST_DIR}/columndecimator.cpp ${CMAKE_CURRENT_LIST_DIR}/columndecimator.h
    ${CMAKE_CURRENT_LIST_DIR}/storecsv.cpp ${CMAKE_CURRENT_LIST_DIR}/storecsv.h
    ${CMAKE_CURRENT_LIST_DIR}/telemetrystore.cpp ${CMAKE_CURRENT_LIST_DIR}/telemetrystore.h)
