# Links to the node (links issue): serial console (QSerialPort), SSH (libssh), shell quoting.
list(APPEND KMS_CORE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/seriallink.cpp
    ${CMAKE_CURRENT_LIST_DIR}/serialworker.cpp
    ${CMAKE_CURRENT_LIST_DIR}/shellquote.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sshlink.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sshworker.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sshworker_channels.cpp
    ${CMAKE_CURRENT_LIST_DIR}/sshworker_files.cpp
)
